using System.Buffers;
using FastDht.Protocol.Tests.Infrastructure;

namespace FastDht.Protocol.Tests;

/// <summary>Frames fed whole, split at every offset, one byte per segment, back to back, and truncated.</summary>
public class FramingTests
{
    private static readonly TxnId Txn = new(1_700_000_000_000_000, 3, 42);

    public static TheoryData<string> Samples => new(SampleFrames().Keys);

    private static Dictionary<string, byte[]> SampleFrames()
    {
        byte[] key = "user:1000"u8.ToArray();
        byte[] value = new byte[300];
        for (int i = 0; i < value.Length; i++)
        {
            value[i] = (byte)i;
        }

        ReadOnlyMemory<byte>[] keys = ["a"u8.ToArray(), "bb"u8.ToArray(), key];
        return new Dictionary<string, byte[]>
        {
            ["hello"] = Wire.Encode(w => FrameWriter.WriteHello(w, 1, NodeRole.Client, ProtocolConstants.ClientNodeId, "prod", "", 1 << 20)),
            ["hello-resp"] = Wire.Encode(w => FrameWriter.WriteHelloResponse(w, 1, 2, "prod", "wait-die", 1 << 20, 9)),
            ["ping-empty"] = Wire.Encode(w => FrameWriter.WritePing(w, 2, default)),
            ["get"] = Wire.Encode(w => FrameWriter.WriteGet(w, 3, key)),
            ["put"] = Wire.Encode(w => FrameWriter.WritePut(w, 4, key, value)),
            ["put-fenced"] = Wire.Encode(w => FrameWriter.WritePut(w, 4, key, value, 77)),
            ["delete"] = Wire.Encode(w => FrameWriter.WriteDelete(w, 5, key)),
            ["multiput"] = Wire.Encode(w => FrameWriter.WriteMultiPut(w, 6, [new KeyValue(key, value), new KeyValue("k"u8.ToArray(), default)])),
            ["multiget"] = Wire.Encode(w => FrameWriter.WriteMultiGet(w, 7, keys)),
            ["lock"] = Wire.Encode(w => FrameWriter.WriteLock(w, 8, Txn, LockMode.Exclusive, 5000, keys)),
            ["txnprepare"] = Wire.Encode(w => FrameWriter.WriteTxnPrepare(w, 9, Txn, 3, 77, [new TxnMember(0, 5), new TxnMember(2, 6)], [new TxnWrite(key, value, 12)])),
            ["txncommit"] = Wire.Encode(w => FrameWriter.WriteTxnCommit(w, 9, Txn, 3)),
            ["txnstatus-resp"] = Wire.Encode(w => FrameWriter.WriteTxnStatusResponse(w, 9, TxnOutcome.Prepared, 1234567)),
            ["value-resp"] = Wire.Encode(w => FrameWriter.WriteValueResponse(w, 3, Opcode.Get, value)),
            ["status-resp"] = Wire.Encode(w => FrameWriter.WriteStatusResponse(w, 5, Opcode.Delete, StatusCode.NotFound)),
            ["error-resp"] = Wire.Encode(w => FrameWriter.WriteErrorResponse(w, 5, Opcode.Delete, StatusCode.Locked, "locked by another transaction")),
        };
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Frame_decodes_the_same_whole_split_at_every_offset_and_byte_per_segment(string name)
    {
        byte[] bytes = SampleFrames()[name];
        var expected = Wire.ReadSingle(bytes);
        for (int offset = 0; offset <= bytes.Length; offset++)
        {
            var split = Wire.ReadSingle(Segments.SplitAt(bytes, offset));
            Assert.Equal(expected.Body, split.Body);
            Assert.Equal(expected.Header.RequestId, split.Header.RequestId);
            Assert.Equal(expected.Header.Opcode, split.Header.Opcode);
            Assert.Equal(expected.Header.Flags, split.Header.Flags);
            Assert.Equal(expected.Header.Status, split.Header.Status);
        }

        var fragmented = Wire.ReadSingle(Segments.BytePerSegment(bytes));
        Assert.Equal(expected.Body, fragmented.Body);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_proper_prefix_waits_for_more_bytes_and_leaves_the_buffer_untouched(string name)
    {
        byte[] bytes = SampleFrames()[name];
        for (int length = 0; length < bytes.Length; length++)
        {
            var buffer = Segments.SplitAt(bytes.AsSpan(0, length).ToArray(), length / 2);
            long before = buffer.Length;
            Assert.False(FrameReader.TryReadFrame(ref buffer, ProtocolLimits.Default, out _, out ProtocolError error));
            Assert.True(error.IsNone);
            Assert.Equal(before, buffer.Length);
        }
    }

    [Fact]
    public void Many_frames_back_to_back_in_one_buffer_decode_in_order()
    {
        var writer = new ArrayBufferWriter<byte>();
        const int count = 200;
        for (uint i = 0; i < count; i++)
        {
            byte[] key = BitConverter.GetBytes(i);
            switch (i % 3)
            {
                case 0:
                    FrameWriter.WriteGet(writer, i, key);
                    break;
                case 1:
                    FrameWriter.WritePut(writer, i, key, new byte[i]);
                    break;
                default:
                    FrameWriter.WriteStatusResponse(writer, i, Opcode.Put, StatusCode.Ok);
                    break;
            }
        }

        byte[] all = writer.WrittenSpan.ToArray();
        foreach (ReadOnlySequence<byte> input in new[] { Segments.Whole(all), Segments.SplitAt(all, all.Length / 3), Segments.BytePerSegment(all) })
        {
            ReadOnlySequence<byte> buffer = input;
            uint next = 0;
            while (FrameReader.TryReadFrame(ref buffer, ProtocolLimits.Default, out Frame frame, out ProtocolError error))
            {
                Assert.True(error.IsNone);
                Assert.Equal(next, frame.Header.RequestId);
                if (next % 3 == 1)
                {
                    byte[] scratch = new byte[frame.Header.BodyLength];
                    Assert.True(RequestDecoder.TryReadPut(frame.GetBodySpan(scratch), frame.Header.Flags, ProtocolLimits.Default, out var k, out var v, out _, out _));
                    Assert.Equal(BitConverter.GetBytes(next), k.ToArray());
                    Assert.Equal((int)next, v.Length);
                }

                next++;
                Assert.True(next <= count);
            }

            Assert.Equal((uint)count, next);
            Assert.Equal(0, buffer.Length);
        }
    }

    [Fact]
    public void Oversized_length_is_rejected_from_the_header_alone()
    {
        var limits = new ProtocolLimits { MaxFrameSize = 4096 };

        // Only the 12 header bytes have arrived; the length claims 4097 bytes.
        byte[] header = Wire.Raw(4097, 55, (byte)Opcode.Put, 0, 0, default);
        var buffer = new ReadOnlySequence<byte>(header);
        Assert.False(FrameReader.TryReadFrame(ref buffer, limits, out Frame frame, out ProtocolError error));
        Assert.Equal(ProtocolErrorCode.FrameTooLarge, error.Code);
        Assert.Equal(StatusCode.FrameTooLarge, error.Status);
        Assert.True(error.IsFatal);
        Assert.Equal(55u, frame.Header.RequestId);
        Assert.Equal(Opcode.Put, frame.Header.Opcode);
        Assert.Contains("4097", error.Message, StringComparison.Ordinal);

        // Exactly the limit is fine.
        byte[] atLimit = Wire.Raw(4096, 1, (byte)Opcode.Ping, 0, 0, new byte[4088]);
        Wire.ReadSingle(atLimit, limits);

        // A length near u32.MaxValue must not overflow anything.
        buffer = new ReadOnlySequence<byte>(Wire.Raw(uint.MaxValue, 1, 1, 0, 0, default));
        Assert.False(FrameReader.TryReadFrame(ref buffer, new ProtocolLimits { MaxFrameSize = ProtocolLimits.MaxFrameSizeCap }, out _, out error));
        Assert.Equal(ProtocolErrorCode.FrameTooLarge, error.Code);
    }

    [Fact]
    public void Header_split_across_segments_is_read()
    {
        byte[] bytes = Wire.Encode(w => FrameWriter.WriteGet(w, 0xA1B2C3D4, "k"u8));
        for (int offset = 1; offset < 12; offset++)
        {
            var (h, _) = Wire.ReadSingle(Segments.SplitAt(bytes, offset));
            Assert.Equal(0xA1B2C3D4u, h.RequestId);
        }
    }

    [Fact]
    public void Get_request_matches_the_documented_hex_example()
    {
        // docs/protocol.md, "Worked example".
        byte[] request = Wire.Encode(w => FrameWriter.WriteGet(w, 7, "foo"u8));
        Assert.Equal("0D000000" + "07000000" + "10" + "00" + "0000" + "0300" + "666F6F", Convert.ToHexString(request));

        byte[] response = Wire.Encode(w => FrameWriter.WriteValueResponse(w, 7, Opcode.Get, "bar"u8));
        Assert.Equal("0F000000" + "07000000" + "10" + "01" + "0000" + "03000000" + "626172", Convert.ToHexString(response));

        byte[] notFound = Wire.Encode(w => FrameWriter.WriteStatusResponse(w, 7, Opcode.Get, StatusCode.NotFound));
        Assert.Equal("08000000" + "07000000" + "10" + "01" + "0100", Convert.ToHexString(notFound));
    }
}
