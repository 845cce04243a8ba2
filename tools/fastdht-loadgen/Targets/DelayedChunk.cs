using System.Net.Sockets;

namespace FastDht.LoadGen.Targets;

/// <summary>Bytes a relay read, waiting in a <see cref="DelayLine"/> until <see cref="Due"/> (a Stopwatch timestamp); a <see cref="Count"/> of 0 is the end of the stream.</summary>
internal readonly record struct DelayedChunk(long Due, Socket To, byte[] Buffer, int Count, RelayPair Pair);
