using System.IO.Pipelines;

namespace FastDht.Engine.Transport.Internal;

/// <summary>Where each transport continuation runs, chosen once and explained here.</summary>
internal static class TransportSchedulers
{
    /// <summary>Continuations of socket operations (receive, send, accept completions).</summary>
    /// <remarks>
    /// On Linux and macOS the runtime's socket engine already hands completions to the thread pool, so running
    /// the loop inline costs no extra hop and blocks nothing. On Windows the completion arrives on an IOCP
    /// thread, which must not run loop code; there it hops to the thread pool (Kestrel makes the same split).
    /// </remarks>
    public static PipeScheduler SocketCompletions { get; } =
        OperatingSystem.IsWindows() ? PipeScheduler.ThreadPool : PipeScheduler.Inline;

    /// <summary>Both pipes' schedulers: every resume of a waiting pipe reader or writer goes to the thread pool.</summary>
    /// <remarks>
    /// - Input reader (the consumer's parse loop, resumed by the receive loop's flush): application work, so it
    ///   must not run on, and delay, the receive loop.
    /// - Input writer (the receive loop, resumed when the consumer drains below the resume threshold): the
    ///   back-pressure path only, so the hop is rare; it keeps the consumer's AdvanceTo short and non-reentrant.
    /// - Output reader (the send loop, resumed by a producer's flush): the hop is what batches. While the send
    ///   loop waits to be scheduled (or sends), producers keep appending, and the next read takes all of it.
    /// - Output writer (a producer blocked on back-pressure, resumed by the send loop): producer code is
    ///   application code and must never run inside the send loop.
    /// </remarks>
    public static PipeScheduler Pipes => PipeScheduler.ThreadPool;
}
