namespace FastDht.Protocol.Tests.Infrastructure;

/// <summary>Hand-assembles bodies, including lying ones, for the malformed-input corpus.</summary>
internal sealed class BodyBuilder
{
    private readonly List<byte> _bytes = new();

    public BodyBuilder U8(byte v)
    {
        _bytes.Add(v);
        return this;
    }

    public BodyBuilder U16(ushort v) => Bytes(BitConverter.GetBytes(v));

    public BodyBuilder U32(uint v) => Bytes(BitConverter.GetBytes(v));

    public BodyBuilder U64(ulong v) => Bytes(BitConverter.GetBytes(v));

    public BodyBuilder Bytes(byte[] b)
    {
        _bytes.AddRange(b);
        return this;
    }

    public BodyBuilder Key(string k) => U16((ushort)k.Length).Bytes(System.Text.Encoding.UTF8.GetBytes(k));

    public BodyBuilder Value(string v) => U32((uint)v.Length).Bytes(System.Text.Encoding.UTF8.GetBytes(v));

    public BodyBuilder Txn(ulong ts = 1, ushort node = 2, ushort reserved = 0, uint seq = 3) => U64(ts).U16(node).U16(reserved).U32(seq);

    public byte[] ToArray() => _bytes.ToArray();
}
