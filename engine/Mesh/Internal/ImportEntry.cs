namespace FastDht.Engine.Mesh.Internal;

/// <summary>An import of slots [<paramref name="First"/>, <paramref name="Last"/>] from <paramref name="Source"/>, announced by the state of <paramref name="Epoch"/> (<see cref="ImportJournal"/>).</summary>
internal readonly record struct ImportEntry(int First, int Last, ushort Source, ulong Epoch);
