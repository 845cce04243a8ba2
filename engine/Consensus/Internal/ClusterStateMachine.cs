using System.Buffers;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;

namespace FastDht.Engine.Consensus.Internal;

/// <summary>
/// The Raft group's state machine: the committed <see cref="ClusterState"/>. Each log entry is a whole state one
/// epoch above the one it was proposed on; it is applied only if that is still one above the current state
/// (compare-and-set on the epoch), so entries that lost a race are skipped alike on every voter.
/// </summary>
/// <remarks>
/// Applied entries are handed to <c>applied</c> in log order (the Raft group installs them into the node's
/// ClusterStateHolder and, at the leader, pushes them to the other members). A snapshot is the current state in the
/// same encoding, written every <see cref="SnapshotEvery"/> applied entries so the Raft log stays short.
/// </remarks>
internal sealed class ClusterStateMachine : SimpleStateMachine
{
    /// <summary>64 entries: a state is a few KiB at most, so a snapshot is cheap; the log then holds at most that many states.</summary>
    private const int SnapshotEvery = 64;

    private readonly Action<ClusterState> _applied;
    private ClusterState _current;
    private int _sinceSnapshot;

    public ClusterStateMachine(DirectoryInfo snapshots, ClusterState initial, Action<ClusterState> applied)
        : base(snapshots)
    {
        _current = initial;
        _applied = applied;
    }

    /// <summary>The newest state this voter has applied.</summary>
    public ClusterState Current => Volatile.Read(ref _current);

    /// <summary>Raised (with no lock held) after each state is applied; waiters of a proposal watch it.</summary>
    public event Action? Applied;

    protected override ValueTask<bool> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        // A snapshot installed from the leader has no payload here: the base class restores it through RestoreAsync.
        if (!entry.TryGetPayload(out var payload) || payload.IsEmpty)
            return new ValueTask<bool>(false); // also a leader's no-op entry at the start of its term
        var bytes = payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray();
        if (!ClusterStateCodec.TryDecode(bytes, out var state, out var error))
            throw new InvalidDataException($"Raft entry {entry.Index} is not a cluster state: {error}");
        if (state.Epoch == Current.Epoch + 1)
        {
            Volatile.Write(ref _current, state);
            _applied(state);
            Applied?.Invoke();
        }
        return new ValueTask<bool>(++_sinceSnapshot % SnapshotEvery == 0);
    }

    protected override ValueTask PersistAsync(IAsyncBinaryWriter writer, CancellationToken token) =>
        writer.WriteAsync(ClusterStateCodec.Encode(Current), null, token);

    protected override async ValueTask RestoreAsync(FileInfo snapshotFile, CancellationToken token)
    {
        var bytes = await File.ReadAllBytesAsync(snapshotFile.FullName, token).ConfigureAwait(false);
        if (!ClusterStateCodec.TryDecode(bytes, out var state, out var error))
            throw new InvalidDataException($"the Raft snapshot {snapshotFile.FullName} is not a cluster state: {error}");
        if (state.Epoch > Current.Epoch)
        {
            Volatile.Write(ref _current, state);
            _applied(state);
        }
    }
}
