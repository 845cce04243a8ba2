using System.Buffers.Binary;

namespace FastDht.Protocol.Internal;

/// <summary>Steps through list bodies that were validated when decoded, so these reads cannot run past the end.</summary>
internal static class WireSpans
{
    /// <summary>Reads a key (u16 length + bytes) and a value (u32 length + bytes) at the front of <paramref name="rest"/>.</summary>
    /// <returns>How many bytes they took.</returns>
    public static int ReadKeyValue(ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(rest);
        key = rest.Slice(sizeof(ushort), keyLength);
        int valueAt = sizeof(ushort) + keyLength;
        int valueLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(rest[valueAt..]);
        value = rest.Slice(valueAt + sizeof(uint), valueLength);
        return valueAt + sizeof(uint) + valueLength;
    }
}
