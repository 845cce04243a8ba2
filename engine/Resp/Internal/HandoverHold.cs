using FastDht.Engine.Keyspace;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// Takes a write the keyspace refused for a slot handover back as "nothing ran", so the command can wait for the
/// handover like one that met the mark at its handover check, instead of answering <c>-TRYAGAIN</c>.
/// </summary>
/// <remarks>
/// The callers check the handover mark before they run a command (RespSession.ExecuteKeyed, RerouteAsync, the owner
/// side of RespExecute); the mover may set it between that check and the command's keyspace write, which the keyspace
/// then refuses with <see cref="KeyWriteRefusal.Moving"/> under the key's gate. Between <see cref="Begin"/> and
/// <see cref="End"/> (on one thread, with no await between: <see cref="RespKeyCommands.Execute"/> is synchronous),
/// <see cref="RespKeyCommands.WriteRefused"/> writes nothing for such a refusal and records it instead, but only if the
/// command opened no other write before it (<see cref="LocalKeyspace.WritesOpenedOnThisThread"/>): a command that may
/// already have changed a key (DEL of several keys, SMOVE) still answers <c>-TRYAGAIN</c>, as running it again would
/// apply its first part twice. Every refusal reply is written before anything else of the command's reply, so a held
/// refusal leaves the output untouched.
/// </remarks>
internal static class HandoverHold
{
    [ThreadStatic]
    private static bool t_holding;

    [ThreadStatic]
    private static bool t_held;

    [ThreadStatic]
    private static long t_writesOpened;

    /// <summary>From here until <see cref="End"/> on this thread, a handover refusal before any write of the command is held, not written.</summary>
    public static void Begin()
    {
        t_holding = true;
        t_held = false;
        t_writesOpened = LocalKeyspace.WritesOpenedOnThisThread;
    }

    /// <summary>Stops holding; true when a refusal was held: the command ran nothing and wrote no reply.</summary>
    public static bool End()
    {
        var held = t_held;
        t_holding = false;
        t_held = false;
        return held;
    }

    /// <summary>Whether a handover refusal is held now (the caller then writes no reply): inside Begin/End, before the command opened any write.</summary>
    public static bool TryHold()
    {
        if (!t_holding || LocalKeyspace.WritesOpenedOnThisThread != t_writesOpened)
            return false;
        t_held = true;
        return true;
    }
}
