using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>What FastDht serves of one Redis command: its name, arity and key positions, as Redis's COMMAND reports them.</summary>
/// <remarks>
/// Arity follows Redis: positive means exactly that many arguments (the name included), negative means at least
/// its absolute value. FirstKey/LastKey/Step locate the keys (LastKey -1 = the last argument); 0 means no keys.
/// </remarks>
internal sealed class RespCommandSpec(RespCommandKind kind, string name, int arity, string[] flags, int firstKey, int lastKey, int step)
{
    public RespCommandKind Kind { get; } = kind;

    /// <summary>The lower-case name, as Redis prints it in errors.</summary>
    public string Name { get; } = name;

    public byte[] NameBytes { get; } = System.Text.Encoding.ASCII.GetBytes(name);

    public int Arity { get; } = arity;

    public string[] Flags { get; } = flags;

    public int FirstKey { get; } = firstKey;

    public int LastKey { get; } = lastKey;

    public int Step { get; } = step;

    public bool HasKeys => FirstKey > 0;

    public bool ArityMatches(int count) => Arity >= 0 ? count == Arity : count >= -Arity;

    /// <summary>The index of the last key for a command of <paramref name="count"/> arguments.</summary>
    public int LastKeyIndex(int count) => LastKey < 0 ? count + LastKey : LastKey;
}
