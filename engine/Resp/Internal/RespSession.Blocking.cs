using System.Buffers;
using FastDht.Engine.CommandTable;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Protocol;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// BLPOP, BRPOP, BLMOVE and BRPOPLPUSH outside MULTI: the connection tries the command, and while every list it names is
/// empty it waits (reading nothing more, as a blocked Redis client does) until a list is written, its timeout passes
/// or it closes.
/// </summary>
/// <remarks>
/// <para>Each try is the non-blocking form (<see cref="TryOnceAsync"/>); a try that finds nothing changes nothing.</para>
/// <para>When to try again: at once when a list is written at this node (<see cref="Keyspace.PushSignal"/>, pulsed by
/// every list write, a transaction's commit included), and every <see cref="RemotePoll"/> while a key lives at another
/// node, whose writes this node does not see. Among this node's blocked clients, only the first in line for one of its
/// keys tries (<see cref="BlockedClients"/>), so they are served in the order they blocked.</para>
/// </remarks>
internal sealed partial class RespSession
{
    // 100 ms: how stale a wake-up for a key at another node may be; a poll is one lock round trip there.
    private static readonly TimeSpan RemotePoll = TimeSpan.FromMilliseconds(100);

    // 1 s: how long a push's reply may wait for the clients it woke (SettleBlockedAsync); a try on this node's keys takes
    // microseconds, or a lock wait when a transaction holds its key.
    private static readonly TimeSpan SettleBound = TimeSpan.FromSeconds(1);

    private static bool IsBlocking(RespCommandKind kind) =>
        kind is RespCommandKind.BLPop or RespCommandKind.BRPop or RespCommandKind.BLMove or RespCommandKind.BRPopLPush or RespCommandKind.BLMPop
            or RespCommandKind.BZPopMin or RespCommandKind.BZPopMax or RespCommandKind.BZMPop;

    /// <summary>The multi-key collection commands, BITOP, PFMERGE, GEOSEARCHSTORE and SORT (its patterns name keys): run as a transaction (atomic, keys on any nodes), like RENAME.</summary>
    private static bool RunsAsTransaction(RespCommandKind kind) => kind is
        RespCommandKind.LMove or RespCommandKind.RPopLPush or RespCommandKind.SMove or RespCommandKind.SInter or RespCommandKind.SInterCard or
        RespCommandKind.SInterStore or RespCommandKind.SUnion or RespCommandKind.SUnionStore or RespCommandKind.SDiff or
        RespCommandKind.SDiffStore or RespCommandKind.ZUnion or RespCommandKind.ZInter or RespCommandKind.ZDiff or RespCommandKind.ZInterCard or
        RespCommandKind.Sort or RespCommandKind.SortRo or RespCommandKind.ZUnionStore or RespCommandKind.ZInterStore or RespCommandKind.ZDiffStore or
        RespCommandKind.ZRangeStore or RespCommandKind.BitOp or RespCommandKind.PfMerge or RespCommandKind.GeoSearchStore;

    /// <summary>
    /// Set while this connection waits in a blocking command (BLPOP and its kin, WAIT): CLIENT UNBLOCK from another
    /// connection completes it, true to answer <c>-UNBLOCKED</c>, false to answer as when the timeout passes.
    /// </summary>
    private TaskCompletionSource<bool>? _unblock;

    /// <summary>CLIENT UNBLOCK of this connection, from another one: false when this connection is not blocked.</summary>
    public bool Unblock(bool withError) => Volatile.Read(ref _unblock) is { } unblock && unblock.TrySetResult(withError);

    /// <summary>This connection starts waiting in a blocking command: CLIENT UNBLOCK may end the wait from now on.</summary>
    private TaskCompletionSource<bool> BeginUnblockable()
    {
        var unblock = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _unblock, unblock);
        return unblock;
    }

    /// <summary>Whether CLIENT UNBLOCK ended the wait with an error (the caller answers <see cref="WriteUnblocked"/>).</summary>
    private bool EndUnblockable(TaskCompletionSource<bool> unblock)
    {
        Volatile.Write(ref _unblock, null);
        unblock.TrySetResult(false); // a CLIENT UNBLOCK from now on finds nothing to end
        return unblock.Task.Result;
    }

    private static void WriteUnblocked(IBufferWriter<byte> w) => RespWriter.WriteError(w, "UNBLOCKED"u8, "client unblocked via CLIENT UNBLOCK"u8);

    private async ValueTask<Outcome> BlockAsync()
    {
        var c = _command;
        var timeoutIndex = c.Kind switch
        {
            RespCommandKind.BLPop or RespCommandKind.BRPop or RespCommandKind.BZPopMin or RespCommandKind.BZPopMax => c.Count - 1,
            RespCommandKind.BLMove => 5,
            RespCommandKind.BLMPop or RespCommandKind.BZMPop => 1,
            _ => 3,
        };
        if (!RespListCommands.TryParseTimeout(c.GetArgument(timeoutIndex), Target(), out var timeoutMs))
            return Outcome.Continue;
        if (c.Kind == RespCommandKind.BLMPop && !RespListCommands.TryParseMultiPop(c, 2, Target(), out _, out _, out _))
            return Outcome.Continue;
        if (c.Kind == RespCommandKind.BZMPop && !RespSortedSetCommands.TryParseMultiPop(c, 2, Target(), out _, out _, out _))
            return Outcome.Continue;
        if (c.Kind == RespCommandKind.BLMove && !(IsEnd(c, 3) && IsEnd(c, 4)))
        {
            RespWriter.WriteRaw(Target(), RespReplies.SyntaxError);
            return Outcome.Continue;
        }
        var queued = QueuedCommand.Of(c, RespCommandSpecs.Get(c.Kind)!);
        var keys = new ReadOnlyMemory<byte>[queued.Keys.Length];
        var allLocal = true;
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = queued.Keys[i];
            allLocal &= _host.OwnerOf(queued.Keys[i]) == _host.SelfId;
        }
        var deadline = timeoutMs == 0 ? long.MaxValue : Environment.TickCount64 + timeoutMs;
        var pushes = _host.Keyspace.Pushes;
        var closed = _connection.ConnectionClosed;
        // Replies before this command go out now: the client may wait for them while this one blocks.
        await EndBatchAsync().ConfigureAwait(false);
        var progress = pushes.AddWaiter(awaited: allLocal);
        // In line for the lists it pops from: BLMOVE/BRPOPLPUSH's destination is not one.
        var waiter = _server.Blocked.Block(c.Kind is RespCommandKind.BLMove or RespCommandKind.BRPopLPush ? keys[..1] : keys);
        byte[]? reply = null;
        var unblock = BeginUnblockable();
        var unblockedWithError = false;
        try
        {
            while (!closed.IsCancellationRequested && !unblock.Task.IsCompleted)
            {
                var next = pushes.Next; // before the try: a write after it completes this very task
                var generation = pushes.Generation; // after Next: a push between them only wakes this loop once more
                if (waiter.IsFirst)
                {
                    reply = await TryOnceAsync(queued, keys).ConfigureAwait(false);
                    if (reply is not null)
                        break;
                }
                pushes.Looked(progress, generation);
                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                    break;
                var wait = allLocal ? TimeSpan.FromMilliseconds(Math.Min(left, int.MaxValue)) : TimeSpan.FromMilliseconds(Math.Min(left, RemotePoll.TotalMilliseconds));
                await Task.WhenAny(next, Task.Delay(wait, closed), unblock.Task).ConfigureAwait(false);
            }
        }
        finally
        {
            unblockedWithError = EndUnblockable(unblock);
            waiter.Dispose();
            pushes.RemoveWaiter(progress);
            pushes.PulseAll(); // the next in line may try now
        }
        if (!await EnterBatchAsync().ConfigureAwait(false))
            return Outcome.Stop;
        if (reply is not null)
        {
            RespWriter.WriteRaw(Target(), reply);
            _host.Keyspace.Durability?.HoldAllAppended(_connection);
        }
        else if (unblockedWithError)
        {
            WriteUnblocked(Target());
        }
        else if (c.Kind is not (RespCommandKind.BLMove or RespCommandKind.BRPopLPush))
        {
            RespCollections.WriteNullArray(Target(), _respVersion);
        }
        else
        {
            RespKeyCommands.WriteNull(Target(), _respVersion);
        }
        return Outcome.Continue;
    }

    /// <summary>
    /// Whether a command may have made the push that overlapped its run: a write (Redis's <c>write</c> flag), EXEC, or a
    /// script command (whose specs do not flag them as writes). Any other command (a GET in a pipeline) only ran while
    /// someone else pushed, and its reply is not held for the clients that push woke.
    /// </summary>
    internal static bool MayPush(RespCommandKind kind) =>
        kind == RespCommandKind.Exec || ScriptEngine.IsScriptCommand(kind) || FastDht.Engine.CommandTable.RespCommandSpecs.Get(kind) is { IsWrite: true };

    /// <summary>
    /// The command wrote a list or sorted set while clients of this node were blocked: its reply waits until each of them
    /// has tried (and the clients their moves woke, in a chain), as Redis serves them before it answers the push, so this
    /// connection's next command sees their pops done. Only clients whose keys all live here are waited for (a push here
    /// changes nothing for the others), and only up to <see cref="SettleBound"/>: a slow try delays the reply, no more.
    /// </summary>
    private async ValueTask SettleBlockedAsync(Keyspace.PushSignal pushes)
    {
        var settled = pushes.WhenSettled();
        if (!settled.IsCompleted)
            await Task.WhenAny(settled, Task.Delay(SettleBound, _connection.ConnectionClosed)).ConfigureAwait(false);
    }

    /// <summary>
    /// One try of the blocked command in its non-blocking form: the reply, or null when every list was empty. BLPOP/BRPOP
    /// run where their keys live (here on the keyspace, elsewhere as RespExecute; keys of several owners one by one, in
    /// order); BLMOVE/BRPOPLPUSH run as a transaction, so the pop and the push are one change.
    /// </summary>
    private async Task<byte[]?> TryOnceAsync(QueuedCommand queued, ReadOnlyMemory<byte>[] keys)
    {
        if (queued.Kind is RespCommandKind.BLMove or RespCommandKind.BRPopLPush)
        {
            // A transaction locks both keys, and a plain write to a locked key is refused (TRYAGAIN): look first, without
            // a lock, so that only a try with something to move takes them.
            if (!await MayHoldElementsAsync(queued.Keys[0]).ConfigureAwait(false))
                return null;
            var txn = new RespTransaction([queued], [], _respVersion, _host.Keyspace.MaxValueLength) { NotifyClasses = _server.Notifications.Classes };
            var result = await _host.Coordinator.ReadModifyWriteAsync(txn.Keys, txn.Decide).ConfigureAwait(false);
            if (result.Step.IsOk || result.Step.CommitDecided)
                DeliverPublished(txn); // the move's keyspace events (an empty try has none)
            if (result.Step.CommitDecided && result.Step.Status == StatusCode.Timeout)
                return txn.Replies; // decided commit, not yet confirmed everywhere: the move will be applied, so the element is the answer
            if (!result.Step.IsOk)
            {
                var message = result.Step.Message ?? result.Step.Status.ToString();
                return ErrorReply(result.Step.CommitDecided ? "ERR"u8 : PartFailure.CodeOf(result.Step.Status, "ERR"u8), result.Step.CommitDecided ? message : message + " (nothing was moved)");
            }
            return IsNothing(txn.Replies) ? null : txn.Replies;
        }
        else
        {
            var owner = _host.OwnerOf(keys[0].Span);
            var oneOwner = true;
            for (var i = 1; i < keys.Length; i++)
                oneOwner &= _host.OwnerOf(keys[i].Span) == owner;
            if (oneOwner)
                return await RunAtOwnerAsync(owner, queued.Encoded).ConfigureAwait(false);
            // Keys of several owners: each key in order at its owner, the first that has an element answers (each pop
            // is atomic; the keys together are not, as with Redis Cluster's clients that split such commands).
            foreach (var key in queued.Keys)
            {
                var single = SingleKeyForm(queued, key);
                var answer = await RunAtOwnerAsync(_host.OwnerOf(key), single).ConfigureAwait(false);
                if (answer is not null)
                    return answer;
            }
            return null;
        }
    }

    /// <summary>The blocked command's non-blocking form for one of its keys: BLPOP/BRPOP/BZPOPMIN/BZPOPMAX key 0, BLMPOP/BZMPOP 0 1 key ... [COUNT n].</summary>
    private byte[] SingleKeyForm(QueuedCommand queued, byte[] key)
    {
        using var command = new RespCommand();
        queued.TryParse(command, _limits);
        var name = command.GetArgument(0).ToArray();
        if (queued.Kind is not (RespCommandKind.BLMPop or RespCommandKind.BZMPop))
            return EncodeRespExecute(0, name, [key, "0"u8.ToArray()])[1..];
        var args = new List<byte[]> { "0"u8.ToArray(), "1"u8.ToArray(), key };
        for (var i = 3 + queued.Keys.Length; i < command.Count; i++)
            args.Add(command.GetArgument(i).ToArray());
        return EncodeRespExecute(0, name, args)[1..];
    }

    /// <summary>Runs one RESP-encoded command at <paramref name="owner"/> (here on the keyspace, elsewhere as RespExecute): its reply, or null when it found nothing.</summary>
    private async Task<byte[]?> RunAtOwnerAsync(ushort owner, byte[] encoded)
    {
        byte[] reply;
        if (owner == _host.SelfId)
        {
            using var command = new RespCommand();
            var bytes = new System.Buffers.ReadOnlySequence<byte>(encoded);
            if (!RespRequestReader.TryRead(ref bytes, command, _limits, out _))
                return ErrorReply("ERR"u8, "the blocked command could not be read back");
            var local = new System.Buffers.ArrayBufferWriter<byte>();
            RespKeyCommands.Execute(command, local, _host.Keyspace, _respVersion);
            reply = local.WrittenSpan.ToArray();
        }
        else
        {
            var link = _host.Peers.LinkTo(owner);
            if (link is null)
                return ErrorReply("CLUSTERDOWN"u8, _host.Peers.UnavailableMessage(owner));
            var body = new byte[1 + encoded.Length];
            body[0] = (byte)_respVersion;
            encoded.CopyTo(body, 1);
            // In doubt once written: the owner may have popped an element whose answer is then lost (-TIMEOUT).
            var result = await link.CallAsync(new RespExecuteRequest(body), ResponseShape.Body, _host.ForwardTimeout, owner, inDoubtIfLost: true).ConfigureAwait(false);
            if (result.Status == StatusCode.Timeout)
                return ErrorReply("TIMEOUT"u8, $"{result.ErrorMessage} (an element it popped is lost with the answer; BLMOVE keeps it in its destination)");
            if (result.IsError)
                return ErrorReply(PartFailure.CodeOf(result.Status, "ERR"u8), $"node {owner}: {result.ErrorMessage}");
            reply = result.Payload ?? [];
        }
        return IsNothing(reply) ? null : reply;
    }

    /// <summary>Whether <paramref name="key"/> holds a non-empty list, or anything that is not a list (the try then answers WRONGTYPE).</summary>
    private async Task<bool> MayHoldElementsAsync(byte[] key)
    {
        var owner = _host.OwnerOf(key);
        if (owner == _host.SelfId)
            return _host.Keyspace.TryGetTyped(key, out _, out _);
        var link = _host.Peers.LinkTo(owner);
        if (link is null)
            return true; // the try reports the owner unreachable
        var body = EncodeRespExecute((byte)_respVersion, "LLEN"u8.ToArray(), [key]);
        var result = await link.CallAsync(new RespExecuteRequest(body), ResponseShape.Body, _host.ForwardTimeout, owner).ConfigureAwait(false);
        return result.IsError || result.Payload is not { } reply || !reply.AsSpan().SequenceEqual(RespReplies.Zero);
    }

    private static byte[] ErrorReply(ReadOnlySpan<byte> code, string message)
    {
        var w = new System.Buffers.ArrayBufferWriter<byte>();
        RespWriter.WriteError(w, code, System.Text.Encoding.UTF8.GetBytes(message));
        return w.WrittenSpan.ToArray();
    }

    private static bool IsEnd(RespCommand c, int index) => c.ArgumentEquals(index, "LEFT"u8) || c.ArgumentEquals(index, "RIGHT"u8);

    /// <summary>Whether a try's reply says nothing was there: RESP2's null array or null bulk, RESP3's null.</summary>
    private static bool IsNothing(ReadOnlySpan<byte> reply) =>
        reply.SequenceEqual(RespReplies.NullArray) || reply.SequenceEqual(RespReplies.NullBulk) || reply.SequenceEqual(RespReplies.Null3);
}
