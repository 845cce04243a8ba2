using FastDht.Protocol.Resp;

namespace FastDht.Engine.CommandTable;

/// <summary>What FastDht serves of one Redis command: its name, arity and key positions, as Redis's COMMAND reports them.</summary>
/// <remarks>
/// Arity follows Redis: positive means exactly that many arguments (the name included), negative means at least
/// its absolute value. FirstKey/LastKey/Step locate the keys (LastKey -1 = the last argument); 0 means no keys.
/// A container command (CLIENT, CONFIG, OBJECT...) lists its subcommands, each a spec of its own named
/// <c>parent|sub</c> with the parent's kind; a keyed subcommand (MEMORY USAGE, OBJECT ENCODING) is routed by its own
/// key positions (<see cref="RespCommandSpecs.Resolve"/>).
/// </remarks>
internal sealed class RespCommandSpec(RespCommandKind kind, string name, int arity, string[] flags, int firstKey, int lastKey, int step)
{
    public RespCommandKind Kind { get; } = kind;

    /// <summary>The lower-case name, as Redis prints it in errors (<c>parent|sub</c> for a subcommand).</summary>
    public string Name { get; } = name;

    public byte[] NameBytes { get; } = System.Text.Encoding.ASCII.GetBytes(name);

    public int Arity { get; } = arity;

    public string[] Flags { get; } = flags;

    public int FirstKey { get; } = firstKey;

    public int LastKey { get; } = lastKey;

    public int Step { get; } = step;

    public bool HasKeys => FirstKey > 0;

    /// <summary>Redis's <c>denyoom</c> flag: the command may add memory, so it is refused while the node is over its maxmemory.</summary>
    public bool DenyOom { get; } = Array.IndexOf(flags, "denyoom") >= 0;

    /// <summary>Redis's <c>no_multi</c> flag: refused between MULTI and EXEC ("Command not allowed inside a transaction").</summary>
    public bool NoMulti { get; } = Array.IndexOf(flags, "no_multi") >= 0;

    /// <summary>Redis's <c>write</c> flag: refused inside a read-only script (EVAL_RO, FCALL_RO).</summary>
    public bool IsWrite { get; } = Array.IndexOf(flags, "write") >= 0;

    /// <summary>Redis's <c>readonly</c> flag: the command reads keys and changes none (what CLIENT TRACKING remembers).</summary>
    public bool IsReadOnly { get; } = Array.IndexOf(flags, "readonly") >= 0 && Array.IndexOf(flags, "write") < 0;

    /// <summary>A <c>write</c> command, or a script that is not read-only (EVAL, EVALSHA): it may change keys, so WAIT counts the replicas of every range for a connection that sent one.</summary>
    public bool MayWrite => IsWrite || (KeyCountIndex > 0 && Array.IndexOf(Flags, "readonly") < 0);

    /// <summary>Redis's <c>noscript</c> flag: refused from inside a script ("This Redis command is not allowed from script").</summary>
    public bool NoScript { get; } = Array.IndexOf(flags, "noscript") >= 0;

    /// <summary>Redis's <c>allow_busy</c> flag: served while a script has run past lua-time-limit (others answer -BUSY).</summary>
    public bool AllowBusy { get; } = Array.IndexOf(flags, "allow_busy") >= 0;

    /// <summary>
    /// For EVAL and EVALSHA (and their _RO forms): the index of the argument that counts the keys which follow it
    /// (Redis's <c>keynum</c> key spec); 0 for others. Such a command names no key in <see cref="FirstKey"/> and routes
    /// itself (<see cref="Resp.Internal.ScriptEngine.TryLocateKeys"/>).
    /// </summary>
    /// <remarks>
    /// Nearly <see cref="NumKeysIndex"/>'s rule ("the key count sits at argument i, the keys follow it"), kept apart on
    /// purpose because the two differ where it matters:
    /// <list type="bullet">
    /// <item>A script keeps <see cref="FirstKey"/> 0 so that every generic key walk (routing by the first key, MULTI's
    /// queued keys, ACL key checks, COMMAND INFO's 0 0 0 with no key spec, COMMAND GETKEYS) passes it by: a script's keys
    /// are checked by the script path, which also refuses EVAL from inside a script. A movable-keys command sets
    /// <see cref="FirstKey"/> so that the same generic walks see its keys.</item>
    /// <item>The count's rule is not the same: a script may name 0 keys and a count beyond the arguments is an error
    /// ("Number of keys can't be greater than number of args"); a movable-keys command needs at least one key and
    /// <see cref="LastKeyIndex(RespCommand, int)"/> clips the count to the arguments (the command answers the error).</item>
    /// </list>
    /// One property for both would need "and FirstKey is 0" or "and HasKeys" beside every test of it: two rules under
    /// one name.
    /// </remarks>
    public int KeyCountIndex { get; init; }

    /// <summary>
    /// Whether the key specs name shard channels (Redis's <c>not_key</c>: SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH): COMMAND INFO
    /// and GETKEYS report them so cluster clients route by them, but no key is read or written; the command runs as a node
    /// command, with sharded pub/sub's own slot rule.
    /// </summary>
    public bool NamesChannels { get; init; }

    /// <summary>The subcommands of a container command; empty for others.</summary>
    public RespCommandSpec[] Subcommands { get; init; } = [];

    /// <summary>How the command's keys are used, as Redis 7's key specs flag them: RO/RW/OW/RM, then access/update/insert/delete.</summary>
    public string[] KeyFlags { get; init; } = flags.Contains("write") ? ["RW", "update"] : ["RO", "access"];

    /// <summary>The <c>notes</c> of the command's key spec in COMMAND INFO, as Redis 7 words them (EVAL, EVAL_RO); null for none.</summary>
    public string? KeySpecNotes { get; init; }

    /// <summary>Redis 7's command tips (nondeterministic_output...).</summary>
    public string[] Tips { get; init; } = [];

    /// <summary>The summary, group and ACL categories (COMMAND DOCS, COMMAND INFO).</summary>
    public RespCommandDoc Doc => RespCommandDocs.For(Name);

    /// <summary>The subcommand's name alone (<c>list</c> of <c>client|list</c>).</summary>
    public string ShortName => Name[(Name.IndexOf('|') + 1)..];

    public bool ArityMatches(int count) => Arity >= 0 ? count == Arity : count >= -Arity;

    /// <summary>The index of the last key for a command of <paramref name="count"/> arguments (not for a command with <see cref="NumKeysIndex"/>).</summary>
    public int LastKeyIndex(int count) => LastKey < 0 ? count + LastKey : LastKey;

    /// <summary>
    /// Redis's movable keys of LMPOP, BLMPOP, ZMPOP, BZMPOP, ZUNION/ZINTER/ZDIFF(STORE), ZINTERCARD, SINTERCARD: the
    /// number of keys is the argument at this index, the keys follow from <see cref="FirstKey"/>; 0 for a command whose
    /// keys <see cref="LastKey"/> and <see cref="Step"/> place. Scripts count their keys too but differently: see
    /// <see cref="KeyCountIndex"/>.
    /// </summary>
    public int NumKeysIndex { get; init; }

    /// <summary>
    /// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE: the index of the destination key, which comes before the key count (the
    /// counted keys, from <see cref="FirstKey"/>, follow <see cref="NumKeysIndex"/>); SINTERSTORE, SUNIONSTORE,
    /// SDIFFSTORE, BITOP, PFMERGE, GEOSEARCHSTORE: the destination before the source keys (from <see cref="FirstKey"/>
    /// to <see cref="LastKey"/>; PFMERGE's possibly none), Redis's two key specs; 0 for others. Every walk over a
    /// command's keys takes it too.
    /// </summary>
    public int DestinationIndex { get; init; }

    /// <summary>The key spec flags of the key at <see cref="DestinationIndex"/>, as Redis 7.0 gives them (OW update; SINTERSTORE: RW update; PFMERGE: RW access insert).</summary>
    public string[] DestinationKeyFlags { get; init; } = ["OW", "update"];

    /// <summary>The index of the first key a walk over the command's keys visits (the destination, when there is one).</summary>
    public int KeyWalkStart => DestinationIndex > 0 ? DestinationIndex : FirstKey;

    /// <summary>The index of the key after <paramref name="index"/> in a walk from <see cref="KeyWalkStart"/> to <see cref="LastKeyIndex(RespCommand, int)"/>.</summary>
    public int NextKeyIndex(int index) => index == DestinationIndex ? FirstKey : index + Step;

    /// <summary>
    /// The index of the last key of <paramref name="c"/>, whose arguments start at <paramref name="offset"/> (COMMAND
    /// GETKEYS: 2). With a key count that is not a positive integer, only the first key (the command answers the error).
    /// </summary>
    public int LastKeyIndex(RespCommand c, int offset = 0)
    {
        if (NumKeysIndex == 0)
            return LastKeyIndex(c.Count - offset);
        if (!c.TryGetInt64(NumKeysIndex + offset, out var keys) || keys < 1)
            return FirstKey;
        return (int)Math.Min(FirstKey + keys - 1, c.Count - 1 - offset);
    }
}
