using FastDht.Engine.CommandTable;
using System.Buffers;
using System.Text;
using FastDht.Engine.Keyspace;
using FastDht.Engine.Transactions.Internal;
using FastDht.Locking;
using FastDht.Protocol;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// One EXEC (or one RENAME/RENAMENX/COPY): runs its queued commands on a private copy of the keys it names, read
/// under the transaction's locks, and tells the coordinator what changed.
/// </summary>
/// <remarks>
/// Requirement: the commands of a transaction take effect together or not at all, on keys of any nodes, with Redis's
/// replies (each command's own, errors included, in order). Design: the coordinator locks every key exclusively at its
/// owner and reads it with its expiry and version; <see cref="Decide"/> then checks the WATCHed versions, copies the
/// keys into a scratch keyspace (a store and lock table of its own, no log), runs every command there with the very
/// code that runs them on a node (<see cref="RespKeyCommands.Execute"/>), and compares each key's final entry with
/// the one it started from: a new entry (any write, even of the same bytes), an expiry change or a removal becomes the
/// key's effect; untouched keys are only released. The coordinator prepares and commits the effects as one decision
/// (one log record per participant), so the transaction is all-or-nothing across nodes and crashes. If the attempt
/// must be retried (a lock conflict), Decide runs again on what the next attempt reads and its replies replace the
/// earlier ones. Reads inside the transaction are of the locked keys, so a transaction never sees another's writes
/// half done. Commands that are not about keys (PING, ECHO, TIME) answer as on the node. A script (EVAL...) runs
/// here the same way (<see cref="ScriptEngine"/>): its redis.call commands on the scratch keyspace, its effects
/// committed with the others'.
/// </remarks>
internal sealed class RespTransaction
{
    private readonly QueuedCommand[] _commands;
    private readonly (byte[] Key, ulong Version)[] _watches;
    private readonly int _respVersion;
    private readonly int _maxValueLength;
    private readonly RespLimits _limits;
    private readonly ScriptEngine? _scripts;
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<ReadOnlyMemory<byte>> _keys = [];
    private List<byte[]>? _needed;
    private List<(byte[] Channel, byte[] Message)>? _published;
    private List<ErrorNote>? _errors;

    // An error is kept to this length: its prefix lies in the first 32 bytes, and a script's final error is compared
    // with the errors its commands answered on these bytes.
    private const int NotedErrorBytes = 512;

    /// <summary>
    /// An error reply of the last run: of a command of the transaction (<paramref name="Kind"/>, which failed), or of a
    /// command a script ran (<see cref="RespCommandKind.Unknown"/>). <paramref name="Counts"/> is false for a script's
    /// final error that only passes on one its commands answered (counted there, as Redis counts it once).
    /// </summary>
    internal readonly record struct ErrorNote(RespCommandKind Kind, byte[] Error, bool Counts);

    public RespTransaction(QueuedCommand[] commands, (byte[] Key, ulong Version)[] watches, int respVersion, int maxValueLength, ScriptEngine? scripts = null,
        IReadOnlyList<ReadOnlyMemory<byte>>? moreKeys = null)
    {
        _scripts = scripts;
        _commands = commands;
        _watches = watches;
        _respVersion = respVersion;
        _maxValueLength = maxValueLength;
        _limits = new RespLimits { MaxBulkLength = int.MaxValue };
        foreach (var command in commands)
        {
            foreach (var key in command.Keys)
                Add(key);
        }
        foreach (var (key, _) in watches)
            Add(key);
        if (moreKeys is not null)
        {
            foreach (var key in moreKeys)
                Add(key.ToArray());
        }
        Keys = _keys.ToArray();
    }

    /// <summary>
    /// After <see cref="Decide"/>: keys a command found it must read only once it had read others (SORT's BY and GET
    /// patterns), which this transaction did not lock; null when none. Then nothing was applied and the replies are
    /// void: run <see cref="WithKeys"/> instead.
    /// </summary>
    public IReadOnlyList<byte[]>? NeededKeys => _needed;

    /// <summary>The same transaction locking <see cref="NeededKeys"/> as well as its own keys.</summary>
    public RespTransaction WithKeys()
    {
        var more = new List<ReadOnlyMemory<byte>>(Keys.Length + (_needed?.Count ?? 0));
        more.AddRange(Keys);
        if (_needed is not null)
        {
            foreach (var key in _needed)
                more.Add(key);
        }
        return new RespTransaction(_commands, _watches, _respVersion, _maxValueLength, _scripts, more) { Permissions = Permissions, PubSub = PubSub, NotifyClasses = NotifyClasses };
    }

    /// <summary>A command of the transaction must read <paramref name="key"/>, which is not locked (see <see cref="NeededKeys"/>).</summary>
    public void Need(byte[] key) => (_needed ??= []).Add(key);

    /// <summary>With users configured: the permissions of the connection's user, which every command a script runs must pass (null: no checks).</summary>
    public Security.AclPermissions? Permissions { get; init; }

    /// <summary>Whether a command of the transaction is a script (it may run long: never on a socket's thread).</summary>
    public bool HasScript => Array.Exists(_commands, c => ScriptEngine.IsScriptCommand(c.Kind));

    /// <summary>How many commands the transaction runs (the length of EXEC's reply).</summary>
    public int Commands => _commands.Length;

    /// <summary>Every key the transaction names (commands and WATCH), each once: what it locks.</summary>
    public ReadOnlyMemory<byte>[] Keys { get; }

    /// <summary>The replies of the last run of the commands, in order (without the array header); null before one ran.</summary>
    public byte[] Replies { get; private set; } = [];

    /// <summary>Whether the last run found a WATCHed key changed (then nothing ran and nothing changes).</summary>
    public bool WatchFailed { get; private set; }

    /// <summary>The error replies of the last run (see <see cref="ErrorNote"/>), in order; null when none.</summary>
    public IReadOnlyList<ErrorNote>? Errors => _errors;

    /// <summary>A command a script ran answered an error (INFO errorstats counts it, as Redis counts a script's errors).</summary>
    public void NoteScriptError(ReadOnlySpan<byte> reply) =>
        (_errors ??= []).Add(new ErrorNote(RespCommandKind.Unknown, reply[..Math.Min(reply.Length, NotedErrorBytes)].ToArray(), true));

    /// <summary>After a command wrote its reply from <paramref name="start"/>: notes it when it is an error.</summary>
    private void NoteReply(RespCommandKind kind, ReadOnlySpan<byte> written, int start, int innerFrom)
    {
        if (written.Length <= start || written[start] != (byte)'-')
            return;
        var error = written[start..];
        error = error[..Math.Min(error.Length, NotedErrorBytes)];
        var counts = true;
        // A script's error that is one its commands answered (redis.call raised it, or the script returned what
        // redis.pcall gave) was counted when the command answered it.
        for (var i = innerFrom; _errors is not null && i < _errors.Count; i++)
        {
            if (_errors[i].Kind == RespCommandKind.Unknown && SameError(_errors[i].Error, error))
            {
                counts = false;
                break;
            }
        }
        (_errors ??= []).Add(new ErrorNote(kind, error.ToArray(), counts));
    }

    // The script's reply is written afresh from the Lua error table, so only the first line is compared.
    private static bool SameError(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var endA = a.IndexOf((byte)'\r');
        var endB = b.IndexOf((byte)'\r');
        return (endA < 0 ? a : a[..endA]).SequenceEqual(endB < 0 ? b : b[..endB]);
    }

    /// <summary>The coordinator's decision function: the effects of the commands on <paramref name="current"/> (the keys, read under the locks, in <see cref="Keys"/> order).</summary>
    public TxnEffect?[]? Decide(LookupResult[] current)
    {
        WatchFailed = false;
        _needed = null;
        _published = null;
        KeyspaceEvents = null;
        _errors = null;
        foreach (var (key, version) in _watches)
        {
            var now = current[_index[Name(key)]];
            // WATCH saw 0 for an absent key and a version (never 0) for a present one; a present key without a version
            // was written since (every write drops it), or created since it was seen absent.
            var unchanged = now.Present ? now.Version != 0 && now.Version == version : version == 0;
            if (!unchanged)
            {
                WatchFailed = true;
                Replies = [];
                return null;
            }
        }
        var store = new ShardedStore(new StoreOptions { ShardCount = 1, InitialCapacity = Math.Max(1, Keys.Length) });
        using var locks = new LockTable(options: new LockTableOptions { ShardCount = 1, ExpiryScanInterval = Timeout.InfiniteTimeSpan, MaxPooledWaiters = 1 });
        var scratch = new LocalKeyspace(store, locks, _maxValueLength);
        if (NotifyClasses != 0)
        {
            // The commands' events are kept and published once the effects have committed, like PUBLISH's messages.
            KeyspaceEvents = new CollectedKeyspaceEvents(NotifyClasses);
            scratch.AttachEvents(KeyspaceEvents);
        }
        var start = new ReadOnlyMemory<byte>[Keys.Length];
        for (var i = 0; i < Keys.Length; i++)
        {
            if (!current[i].Present)
                continue;
            store.Put(Keys[i].Span, current[i].Value.Span, EntryMetadata.Typed((EntryType)current[i].Type, current[i].ExpiresAt));
            scratch.TryGetEntry(Keys[i].Span, out start[i], out _, out _);
        }

        var replies = new ArrayBufferWriter<byte>();
        var killed = false;
        using (var command = new RespCommand())
        {
            foreach (var queued in _commands)
            {
                var replyStart = replies.WrittenCount;
                var innerFrom = _errors?.Count ?? 0;
                if (!queued.TryParse(command, _limits))
                    RespWriter.WriteError(replies, "the queued command could not be read back"u8);
                else if (ScriptEngine.IsScriptCommand(command.Kind))
                    killed |= !RunScript(command, replies, scratch);
                else if (command.Kind is RespCommandKind.Sort or RespCommandKind.SortRo)
                    RespSortCommand.Execute(command, replies, scratch, _respVersion, this);
                else if (queued.Keys.Length > 0)
                    RespKeyCommands.Execute(command, replies, scratch, _respVersion);
                else if (command.Kind == RespCommandKind.Publish)
                    Publish(command, replies);
                else
                    WriteKeyless(command, replies);
                NoteReply(queued.Kind, replies.WrittenSpan, replyStart, innerFrom);
            }
        }
        Replies = replies.WrittenSpan.ToArray();
        if (_needed is not null)
        {
            KeyspaceEvents = null;
            Replies = [];
            return null; // run again with those keys locked (RespSession): nothing of this run applies
        }
        if (killed)
        {
            // SCRIPT KILL: nothing of the transaction applies, and every command says so (a lone EVAL: one reply).
            var each = new ArrayBufferWriter<byte>();
            _errors = null;
            for (var i = 0; i < _commands.Length; i++)
            {
                NoteReply(_commands[i].Kind, ScriptEngine.KilledReply, 0, 0);
                RespWriter.WriteRaw(each, ScriptEngine.KilledReply);
            }
            Replies = each.WrittenSpan.ToArray();
            KeyspaceEvents = null; // nothing applies: no event either
            return null;
        }

        var effects = new TxnEffect?[Keys.Length];
        for (var i = 0; i < Keys.Length; i++)
        {
            if (!scratch.TryGetEntry(Keys[i].Span, out var value, out var expiresAt, out _, out var type))
            {
                if (current[i].Present)
                    effects[i] = new TxnEffect(TxnWriteKind.Delete, default, 0);
            }
            else if (!current[i].Present || !value.Equals(start[i]) || expiresAt != current[i].ExpiresAt || (byte)type != current[i].Type)
            {
                effects[i] = new TxnEffect(TxnWriteKind.Put, value.ToArray(), expiresAt, (byte)type);
            }
        }
        return effects;
    }

    /// <summary>
    /// Whether a command that names no key runs inside a transaction: those whose answer does not depend on the
    /// keyspace, and a script that declares no key (it may then touch none). PUBLISH is one: its messages are kept
    /// and delivered once the transaction has committed (<see cref="Published"/>).
    /// </summary>
    public static bool IsKeylessAllowed(RespCommandKind kind) => kind is
        RespCommandKind.Ping or RespCommandKind.Echo or RespCommandKind.Time or RespCommandKind.Select or RespCommandKind.Publish ||
        ScriptEngine.IsScriptCommand(kind);

    /// <summary>The keyspace-notification classes on when the transaction was made (0: none, nothing collected).</summary>
    public int NotifyClasses { get; init; }

    /// <summary>The keyspace events of the last run, to publish once it has committed; null when notifications are off.</summary>
    public CollectedKeyspaceEvents? KeyspaceEvents { get; private set; }

    /// <summary>Whom PUBLISH counts as receivers while the transaction runs; null: nobody (a transaction that cannot publish).</summary>
    public PubSubChannels? PubSub { get; init; }

    /// <summary>
    /// The messages PUBLISH (in the queue or in a script) sent during the last run, in order: delivered by the session
    /// once the transaction has committed, never by a run that is repeated or aborted (a message cannot be taken back).
    /// Null when none.
    /// </summary>
    public IReadOnlyList<(byte[] Channel, byte[] Message)>? Published => _published;

    /// <summary>
    /// PUBLISH inside the transaction: keeps the message for delivery after the commit and answers how many receivers
    /// this node has for it now (Redis's count; one that subscribes or leaves before the commit is not counted the same).
    /// </summary>
    public void Publish(RespCommand c, IBufferWriter<byte> w)
    {
        (_published ??= []).Add((c.GetArgument(1).ToArray(), c.GetArgument(2).ToArray()));
        RespWriter.WriteInteger(w, PubSub?.CountReceivers(c.GetArgument(1)) ?? 0);
    }

    /// <summary>Whether the transaction locked <paramref name="key"/> (a script may touch only those).</summary>
    public bool Holds(ReadOnlySpan<byte> key) => _index.ContainsKey(Encoding.Latin1.GetString(key));

    /// <summary>EVAL and its kin, run on the transaction's scratch keyspace; false when SCRIPT KILL stopped it.</summary>
    private bool RunScript(RespCommand command, IBufferWriter<byte> replies, LocalKeyspace scratch)
    {
        if (_scripts is not null)
            return _scripts.Execute(command, scratch, this, replies, _respVersion);
        RespWriter.WriteError(replies, "scripts cannot run here"u8);
        return true;
    }

    /// <summary>The reply of an allowed keyless command (not a script), as the node gives it outside a transaction.</summary>
    internal static void WriteKeyless(RespCommand c, IBufferWriter<byte> w)
    {
        switch (c.Kind)
        {
            case RespCommandKind.Ping:
                if (c.Count == 2)
                    RespWriter.WriteBulkString(w, c.GetArgument(1));
                else
                    RespWriter.WriteRaw(w, RespReplies.Pong);
                break;
            case RespCommandKind.Echo:
                RespWriter.WriteBulkString(w, c.GetArgument(1));
                break;
            case RespCommandKind.Time:
                RespSession.WriteTime(w);
                break;
            case RespCommandKind.Select:
                if (!c.TryGetInt64(1, out var db))
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                else if (db != 0)
                    RespWriter.WriteError(w, "DB index is out of range"u8);
                else
                    RespWriter.WriteRaw(w, RespReplies.Ok);
                break;
            default:
                // PUBLISH outside a transaction's run (not reached: Decide and scripts call Publish).
                RespWriter.WriteRaw(w, RespReplies.Zero);
                break;
        }
    }

    private void Add(byte[] key)
    {
        var name = Name(key);
        if (_index.ContainsKey(name))
            return;
        _index.Add(name, _keys.Count);
        _keys.Add(key);
    }

    private static string Name(byte[] key) => Encoding.Latin1.GetString(key);
}
