using System.Buffers.Binary;
using System.Text;

namespace FastDht.Storage.Tests;

/// <summary>Key and value builders shared by the storage tests.</summary>
internal static class StoreTestKeys
{
    public static byte[] Key(int i) => Encoding.ASCII.GetBytes($"key:{i:D12}");

    public static byte[] Bytes(string s) => Encoding.ASCII.GetBytes(s);

    /// <summary>A value whose every byte is <paramref name="pattern"/>: a torn mix of two writes is detectable.</summary>
    public static byte[] Uniform(byte pattern, int length)
    {
        var value = new byte[length];
        value.AsSpan().Fill(pattern);
        return value;
    }

    public static bool IsUniform(ReadOnlySpan<byte> value) =>
        value.Length == 0 || !value.ContainsAnyExcept(value[0]);

    public static byte[] Counter(long n)
    {
        var value = new byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(value, n);
        return value;
    }

    public static long ReadCounter(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadInt64LittleEndian(value);
}
