using System.Buffers;

namespace FastDht.TestUtilities;

/// <summary>A memory pool that counts rentals and returns, so a test can prove every pooled block came back.</summary>
/// <remarks>
/// Blocks come from <see cref="ArrayPool{T}.Shared"/> (array-backed, as the transport requires). A block disposed
/// twice is counted in <see cref="DoubleReturns"/> rather than returned twice, and using a block after its return
/// throws, which turns a use-after-free into a test failure.
/// </remarks>
public sealed class CountingMemoryPool : MemoryPool<byte>
{
    private long _rented;
    private long _returned;
    private long _doubleReturns;

    /// <summary>Blocks handed out so far.</summary>
    public long Rented => Interlocked.Read(ref _rented);

    /// <summary>Blocks given back so far.</summary>
    public long Returned => Interlocked.Read(ref _returned);

    /// <summary>Blocks currently out: 0 when nothing leaked.</summary>
    public long Outstanding => Rented - Returned;

    /// <summary>Blocks disposed more than once: always 0 in correct code.</summary>
    public long DoubleReturns => Interlocked.Read(ref _doubleReturns);

    /// <inheritdoc/>
    public override int MaxBufferSize => Array.MaxLength;

    /// <inheritdoc/>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        // 4096: the pipe's default segment size, used when the caller does not say.
        int size = minBufferSize < 0 ? 4096 : minBufferSize;
        Interlocked.Increment(ref _rented);
        return new Block(this, ArrayPool<byte>.Shared.Rent(size));
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
    }

    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly CountingMemoryPool _pool;
        private byte[]? _array;

        public Block(CountingMemoryPool pool, byte[] array)
        {
            _pool = pool;
            _array = array;
        }

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block), "Pooled block used after it was returned.");

        public void Dispose()
        {
            byte[]? array = Interlocked.Exchange(ref _array, null);
            if (array is null)
            {
                Interlocked.Increment(ref _pool._doubleReturns);
                return;
            }

            ArrayPool<byte>.Shared.Return(array);
            Interlocked.Increment(ref _pool._returned);
        }
    }
}
