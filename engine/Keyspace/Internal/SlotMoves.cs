using FastDht.Protocol;

namespace FastDht.Engine.Keyspace.Internal;

/// <summary>
/// What the keyspace knows of the slots this node is moving away (docs/elasticity.md): which slots' changes are
/// captured for the receiver, and which slots are handed away (every write refused with <see cref="KeyWriteRefusal.Moving"/>).
/// </summary>
/// <remarks>
/// Requirements: a write is checked against both under its key's gate (<see cref="LocalKeyspace.BeginWrite"/>), with
/// no lock and no allocation; a node that never moves a slot pays one null check per write (the keyspace creates
/// this on the first move). Design: one bit per slot in each of two int arrays (2 x 2 KiB), read with volatile reads;
/// the mover changes a bit and then takes every write gate once (<see cref="FastDht.Locking.LockTable.EnterAllWriteGates"/>),
/// so every write that started before the change has finished and every later one sees it. The captured changes go
/// to a <see cref="ReplicationStream"/> of their own (the records replication streams, with a cursor the mover reads),
/// never to the replicas' stream.
/// </remarks>
internal sealed class SlotMoves : IDisposable
{
    private readonly int[] _capturing = new int[KeySlot.SlotCount / 32];
    private readonly int[] _gone = new int[KeySlot.SlotCount / 32];

    /// <summary>The changes made to capturing slots, in the order applied per key.</summary>
    public ReplicationStream Captured { get; } = new();

    /// <summary>Whether changes to <paramref name="slot"/> are captured for a receiver.</summary>
    public bool Captures(int slot) => (Volatile.Read(ref _capturing[slot >> 5]) & (1 << (slot & 31))) != 0;

    /// <summary>Whether <paramref name="slot"/> has been handed to another node: no write to it may run here.</summary>
    public bool IsGone(int slot) => (Volatile.Read(ref _gone[slot >> 5]) & (1 << (slot & 31))) != 0;

    /// <summary>Starts (or stops) capturing the changes of slots [<paramref name="first"/>, <paramref name="last"/>].</summary>
    public void SetCapturing(int first, int last, bool on) => Set(_capturing, first, last, on);

    /// <summary>Marks slots [<paramref name="first"/>, <paramref name="last"/>] handed away (or back).</summary>
    public void SetGone(int first, int last, bool on) => Set(_gone, first, last, on);

    public void Dispose() => Captured.Dispose();

    private static void Set(int[] bits, int first, int last, bool on)
    {
        for (var s = first; s <= last; s++)
        {
            var mask = 1 << (s & 31);
            if (on)
                Interlocked.Or(ref bits[s >> 5], mask);
            else
                Interlocked.And(ref bits[s >> 5], ~mask);
        }
    }
}
