using static FastDht.Storage.Tests.StoreTestKeys;

namespace FastDht.Storage.Tests;

public sealed class AllocationTests
{
    [Fact]
    public void TryGet_allocates_nothing_for_hits_and_misses()
    {
        var store = new ShardedStore();
        const int Keys = 1_000;
        var keys = new byte[Keys][];
        var missing = new byte[Keys][];
        for (int i = 0; i < Keys; i++)
        {
            keys[i] = Key(i);
            missing[i] = Key(i + Keys);
            store.Put(keys[i], Uniform((byte)i, 16));
        }

        // Warm-up: let tiered compilation settle before measuring.
        long checksum = ReadAll(store, keys, missing, rounds: 50);

        long before = GC.GetAllocatedBytesForCurrentThread();
        checksum += ReadAll(store, keys, missing, rounds: 20);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.NotEqual(0, checksum);
    }

    private static long ReadAll(ShardedStore store, byte[][] keys, byte[][] missing, int rounds)
    {
        long checksum = 0;
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < keys.Length; i++)
            {
                if (store.TryGet(keys[i], out var value))
                {
                    checksum += value.Length + value.Span[0];
                }

                if (store.TryGet(missing[i], out _))
                {
                    checksum = -1;
                }
            }
        }

        return checksum;
    }
}
