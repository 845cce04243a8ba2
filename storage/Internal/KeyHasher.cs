using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace FastDht.Storage.Internal;

/// <summary>Hashes keys with XXH3 under a per-process random seed, so that nobody outside can aim keys at one chain.</summary>
/// <remarks>
/// Bit use of the 64-bit hash: bits 0-31 pick the home position in a table (multiply-shift range
/// reduction, so table sizes need not be powers of two, and the position grows with the hash, which
/// is what the enumeration cursor relies on). Bits 32-39 fill the tag bits that the slot does not,
/// and bits 40-53 are the key's slot when the store has no slot function (see <see cref="SlotMap"/>).
/// None of them overlap, so keys in one shard still spread over its positions and tags.
/// </remarks>
internal readonly struct KeyHasher
{
    /// <summary>One seed per process: a client cannot learn it, so it cannot precompute colliding keys.</summary>
    private static readonly long ProcessSeed = NewSeed();

    private readonly long _seed;
    private readonly ulong _mask;

    private KeyHasher(long seed, ulong mask)
    {
        _seed = seed;
        _mask = mask;
    }

    /// <summary>The hasher every production store uses.</summary>
    public static KeyHasher Default => new(ProcessSeed, ulong.MaxValue);

    /// <summary>
    /// A hasher whose output is ANDed with <paramref name="mask"/>: tests pass 0 to send every key to
    /// one shard, one home slot and one tag, the worst collision case.
    /// </summary>
    public static KeyHasher WithMask(ulong mask) => new(ProcessSeed, mask);

    private static long NewSeed()
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToInt64(bytes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Hash(ReadOnlySpan<byte> key) => XxHash3.HashToUInt64(key, _seed) & _mask;
}
