using System.Collections.Concurrent;

namespace FastDht.Engine.Consensus.Internal;

/// <summary>
/// When this voter last read bytes from each other voter on the Raft group's connections (Environment.TickCount64):
/// an upper bound on when it last received, and so could have accepted, any of that voter's Raft messages.
/// </summary>
/// <remarks>
/// The time is taken when the library reads (<see cref="ContactReader"/>), after the bytes arrived and before the library
/// acts on them: a heartbeat this voter accepted from a leader was read no later than the time kept here, and the read
/// came after the leader sent it. A successor counts a dead leader's lease from the newest such time over a majority
/// of the voters instead of from its own election (docs/replication.md, "The leader's own ranges", point 3).
/// </remarks>
internal sealed class RaftContacts
{
    private readonly ConcurrentDictionary<ushort, long> _lastRead = new();

    /// <summary>Notes that bytes from <paramref name="peerId"/> were read now.</summary>
    public void Touch(ushort peerId) => _lastRead[peerId] = Environment.TickCount64;

    /// <summary>When bytes from <paramref name="peerId"/> were last read (long.MinValue: never).</summary>
    public long LastReadMs(ushort peerId) => _lastRead.TryGetValue(peerId, out var at) ? at : long.MinValue;
}
