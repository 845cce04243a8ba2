using System.Buffers;
using CsCheck;
using FastDht.Protocol.Tests.Infrastructure;

namespace FastDht.Protocol.Tests;

/// <summary>The corpus of bad input, each with the error it must produce, and a fuzz property that nothing throws.</summary>
public class MalformedInputTests
{
    private static ProtocolError HeaderError(byte[] bytes, ProtocolLimits? limits = null)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        long before = buffer.Length;
        Assert.False(FrameReader.TryReadFrame(ref buffer, limits ?? ProtocolLimits.Default, out _, out ProtocolError error));
        Assert.Equal(before, buffer.Length);
        return error;
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(7u)]
    public void Length_below_8_is_fatal(uint length)
    {
        ProtocolError error = HeaderError(Wire.Raw(length, 1, (byte)Opcode.Get, 0, 0, default));
        Assert.Equal(ProtocolErrorCode.LengthTooSmall, error.Code);
        Assert.True(error.IsFatal);
        Assert.Equal(StatusCode.BadRequest, error.Status);
    }

    [Theory]
    [InlineData(0x20)]
    [InlineData(0x80)]
    [InlineData(0xF9)]
    public void Reserved_flag_bits_are_fatal(byte flags)
    {
        ProtocolError error = HeaderError(Wire.Raw(8, 1, (byte)Opcode.Ping, flags, 0, default));
        Assert.Equal(ProtocolErrorCode.ReservedFlags, error.Code);
        Assert.True(error.IsFatal);
    }

    [Fact]
    public void Truncated_header_waits()
    {
        byte[] bytes = Wire.Raw(8, 1, (byte)Opcode.Ping, 0, 0, default);
        for (int n = 0; n < 12; n++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, n);
            Assert.False(FrameReader.TryReadFrame(ref buffer, ProtocolLimits.Default, out _, out ProtocolError error));
            Assert.True(error.IsNone);
        }
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x0A)]
    [InlineData(0x16)]
    [InlineData(0x30)]
    [InlineData(0xFF)]
    public void Unknown_opcode_is_answered_and_framing_holds(byte opcode)
    {
        var (h, _) = Wire.ReadSingle(Wire.Raw(10, 1, opcode, 0, 0, [1, 2]));
        Assert.False(RequestDecoder.TryValidateHeader(h, out ProtocolError error));
        Assert.Equal(ProtocolErrorCode.UnknownOpcode, error.Code);
        Assert.Equal(StatusCode.UnknownOpcode, error.Status);
        Assert.False(error.IsFatal);
    }

    [Fact]
    public void Request_headers_with_response_flag_status_or_misplaced_fence_are_bad_requests()
    {
        var (h, _) = Wire.ReadSingle(Wire.Raw(8, 1, (byte)Opcode.Ping, (byte)FrameFlags.Response, 0, default));
        Assert.False(RequestDecoder.TryValidateHeader(h, out ProtocolError error));
        Assert.Equal(ProtocolErrorCode.NotARequest, error.Code);

        (h, _) = Wire.ReadSingle(Wire.Raw(8, 1, (byte)Opcode.Ping, 0, 3, default));
        Assert.False(RequestDecoder.TryValidateHeader(h, out error));
        Assert.Equal(ProtocolErrorCode.NotARequest, error.Code);

        (h, _) = Wire.ReadSingle(Wire.Raw(8, 1, (byte)Opcode.Get, (byte)FrameFlags.Fenced, 0, default));
        Assert.False(RequestDecoder.TryValidateHeader(h, out error));
        Assert.Equal(ProtocolErrorCode.FenceNotAllowed, error.Code);
        Assert.Equal(StatusCode.BadRequest, error.Status);
        Assert.False(error.IsFatal);

        foreach (var op in new[] { Opcode.Get, Opcode.Delete, Opcode.MultiPut, Opcode.Ping })
        {
            (h, _) = Wire.ReadSingle(Wire.Raw(8, 1, (byte)op, (byte)FrameFlags.Expires, 0, default));
            Assert.False(RequestDecoder.TryValidateHeader(h, out error));
            Assert.Equal(ProtocolErrorCode.ExpiresNotAllowed, error.Code);
            Assert.Equal(StatusCode.BadRequest, error.Status);
            Assert.False(error.IsFatal);
        }

        (h, _) = Wire.ReadSingle(Wire.Raw(8, 1, (byte)Opcode.MultiGet, (byte)FrameFlags.Routed, 0, default));
        Assert.False(RequestDecoder.TryValidateHeader(h, out error));
        Assert.Equal(ProtocolErrorCode.RoutedNotAllowed, error.Code);
        Assert.Equal(StatusCode.BadRequest, error.Status);
        Assert.False(error.IsFatal);
        foreach (var op in new[] { Opcode.Get, Opcode.Put, Opcode.PutIfAbsent, Opcode.Delete })
        {
            (h, _) = Wire.ReadSingle(Wire.Raw(8, 1, (byte)op, (byte)FrameFlags.Routed, 0, default));
            Assert.True(RequestDecoder.TryValidateHeader(h, out _));
        }
    }

    public static TheoryData<string, Opcode, byte, byte[], ProtocolErrorCode> Bodies()
    {
        var data = new TheoryData<string, Opcode, byte, byte[], ProtocolErrorCode>
        {
            { "get: empty body", Opcode.Get, 0, [], ProtocolErrorCode.Truncated },
            { "get: key length 0", Opcode.Get, 0, new BodyBuilder().U16(0).ToArray(), ProtocolErrorCode.InvalidKey },
            { "get: key over MaxKeySize", Opcode.Get, 0, new BodyBuilder().U16(9).Bytes(new byte[9]).ToArray(), ProtocolErrorCode.InvalidKey },
            { "get: key length beyond body", Opcode.Get, 0, new BodyBuilder().U16(5).Bytes([1, 2]).ToArray(), ProtocolErrorCode.Truncated },
            { "get: trailing bytes", Opcode.Get, 0, new BodyBuilder().Key("k").U8(0).ToArray(), ProtocolErrorCode.TrailingBytes },
            { "put: value length beyond body", Opcode.Put, 0, new BodyBuilder().Key("k").U32(100).Bytes([1]).ToArray(), ProtocolErrorCode.Truncated },
            { "put: value length u32 max", Opcode.Put, 0, new BodyBuilder().Key("k").U32(uint.MaxValue).ToArray(), ProtocolErrorCode.Truncated },
            { "put: missing value", Opcode.Put, 0, new BodyBuilder().Key("k").ToArray(), ProtocolErrorCode.Truncated },
            { "put: fenced without token", Opcode.Put, (byte)FrameFlags.Fenced, new BodyBuilder().Key("k").Value("v").U32(1).ToArray(), ProtocolErrorCode.Truncated },
            { "put: token without FENCED", Opcode.Put, 0, new BodyBuilder().Key("k").Value("v").U64(1).ToArray(), ProtocolErrorCode.TrailingBytes },
            { "put: EXPIRES without a time to live", Opcode.Put, (byte)FrameFlags.Expires, new BodyBuilder().Key("k").Value("v").U32(1).ToArray(), ProtocolErrorCode.Truncated },
            { "put: time to live 0", Opcode.Put, (byte)FrameFlags.Expires, new BodyBuilder().Key("k").Value("v").U64(0).ToArray(), ProtocolErrorCode.OutOfRange },
            { "put: time to live over 2^47 ms", Opcode.Put, (byte)FrameFlags.Expires, new BodyBuilder().Key("k").Value("v").U64((1UL << 47) + 1).ToArray(), ProtocolErrorCode.OutOfRange },
            { "put: EXPIRES and FENCED without the token", Opcode.Put, (byte)(FrameFlags.Expires | FrameFlags.Fenced), new BodyBuilder().Key("k").Value("v").U64(5).ToArray(), ProtocolErrorCode.Truncated },
            { "delete: trailing", Opcode.Delete, 0, new BodyBuilder().Key("k").U16(1).ToArray(), ProtocolErrorCode.TrailingBytes },
            { "multiput: count 0", Opcode.MultiPut, 0, new BodyBuilder().U16(0).ToArray(), ProtocolErrorCode.EmptyList },
            { "multiput: count lies high", Opcode.MultiPut, 0, new BodyBuilder().U16(3).Key("a").Value("1").Key("b").Value("2").ToArray(), ProtocolErrorCode.Truncated },
            { "multiput: count lies low", Opcode.MultiPut, 0, new BodyBuilder().U16(1).Key("a").Value("1").Key("b").Value("2").ToArray(), ProtocolErrorCode.TrailingBytes },
            { "multiput: bad second key", Opcode.MultiPut, 0, new BodyBuilder().U16(2).Key("a").Value("1").U16(0).Value("2").ToArray(), ProtocolErrorCode.InvalidKey },
            { "multiget: count 0", Opcode.MultiGet, 0, new BodyBuilder().U16(0).ToArray(), ProtocolErrorCode.EmptyList },
            { "multiget: count 65535, one key", Opcode.MultiGet, 0, new BodyBuilder().U16(65535).Key("a").ToArray(), ProtocolErrorCode.Truncated },
            { "lock: bad mode", Opcode.Lock, 0, new BodyBuilder().Txn().U8(2).U32(10).U16(1).Key("a").ToArray(), ProtocolErrorCode.OutOfRange },
            { "lock: txn reserved non-zero", Opcode.Lock, 0, new BodyBuilder().Txn(reserved: 1).U8(0).U32(10).U16(1).Key("a").ToArray(), ProtocolErrorCode.ReservedField },
            { "lock: truncated txn", Opcode.Lock, 0, new BodyBuilder().U64(1).U16(2).ToArray(), ProtocolErrorCode.Truncated },
            { "lock: no keys", Opcode.Lock, 0, new BodyBuilder().Txn().U8(0).U32(10).U16(0).ToArray(), ProtocolErrorCode.EmptyList },
            { "unlock: count lies", Opcode.Unlock, 0, new BodyBuilder().Txn().U16(2).Key("a").ToArray(), ProtocolErrorCode.Truncated },
            { "renew: trailing", Opcode.RenewLease, 0, new BodyBuilder().Txn().U32(1).U16(1).Key("a").U8(9).ToArray(), ProtocolErrorCode.TrailingBytes },
            { "txnprepare: no participants", Opcode.TxnPrepare, 0, new BodyBuilder().Txn().U16(0).U64(1).U16(0).U16(0).ToArray(), ProtocolErrorCode.EmptyList },
            { "txnprepare: participants lie", Opcode.TxnPrepare, 0, new BodyBuilder().Txn().U16(0).U64(1).U16(3).U16(1).U64(2).U16(0).ToArray(), ProtocolErrorCode.Truncated },
            { "txnprepare: missing token", Opcode.TxnPrepare, 0, new BodyBuilder().Txn().U16(0).U64(1).U16(1).U16(1).U64(2).U16(1).Key("a").Value("v").ToArray(), ProtocolErrorCode.Truncated },
            { "txnprepare: trailing", Opcode.TxnPrepare, 0, new BodyBuilder().Txn().U16(0).U64(1).U16(1).U16(1).U64(2).U16(0).U8(0).ToArray(), ProtocolErrorCode.TrailingBytes },
            { "txncommit: missing attempt", Opcode.TxnCommit, 0, new BodyBuilder().Txn().ToArray(), ProtocolErrorCode.Truncated },
            { "txnabort: trailing", Opcode.TxnAbort, 0, new BodyBuilder().Txn().U16(1).U8(0).ToArray(), ProtocolErrorCode.TrailingBytes },
            { "txnstatus: trailing", Opcode.TxnStatus, 0, new BodyBuilder().Txn().U16(1).U8(0).ToArray(), ProtocolErrorCode.TrailingBytes },
            { "txnpin: trailing", Opcode.TxnPin, 0, new BodyBuilder().Txn().U8(0).ToArray(), ProtocolErrorCode.TrailingBytes },
            { "hello: bad role", Opcode.Hello, 0, new BodyBuilder().U16(1).U8(7).U16(1).U16(0).U16(0).U32(4096).ToArray(), ProtocolErrorCode.OutOfRange },
            { "hello: invalid utf-8", Opcode.Hello, 0, new BodyBuilder().U16(1).U8(0).U16(1).U16(2).Bytes([0xC3, 0x28]).U16(0).U32(4096).ToArray(), ProtocolErrorCode.InvalidString },
            { "hello: string length lies", Opcode.Hello, 0, new BodyBuilder().U16(1).U8(0).U16(1).U16(200).Bytes([0x41]).ToArray(), ProtocolErrorCode.Truncated },
            { "clusterinfo: non-empty", Opcode.ClusterInfo, 0, [0], ProtocolErrorCode.TrailingBytes },
            { "resppublish: channel length lies", Opcode.RespPublish, 0, new BodyBuilder().U32(9).Bytes([0x41]).ToArray(), ProtocolErrorCode.Truncated },
            { "resppublish: no channel length", Opcode.RespPublish, 0, [1, 0], ProtocolErrorCode.Truncated },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public void Malformed_body_gets_its_error_and_keeps_the_connection(string name, Opcode opcode, byte flags, byte[] body, ProtocolErrorCode expected)
    {
        var limits = new ProtocolLimits { MaxKeySize = 8 };
        var (h, decodedBody) = Wire.ReadSingle(Wire.Request(opcode, body, (FrameFlags)flags), limits);
        Assert.True(RequestDecoder.TryValidateHeader(h, out _), name);
        ProtocolError error = DecodeRequest(h, decodedBody, limits);
        Assert.Equal(expected, error.Code);
        Assert.False(error.IsFatal);
        Assert.False(string.IsNullOrEmpty(error.Message));
        Assert.Equal(expected == ProtocolErrorCode.InvalidKey ? StatusCode.InvalidKey : StatusCode.BadRequest, error.Status);
    }

    [Theory]
    [InlineData(new byte[] { 2, 0, 0x10, 0 })] // presence byte 0x10
    [InlineData(new byte[] { 1, 0, 2 })] // presence byte 2
    [InlineData(new byte[] { 1, 0, 1, 5, 0, 0, 0, 1 })] // value length lies
    public void Malformed_multiget_response_is_rejected(byte[] body) =>
        Assert.False(ResponseDecoder.TryReadMultiGet(body, out _, out _));

    [Fact]
    public void Malformed_cluster_info_ranges_are_rejected()
    {
        byte[] lastTooBig = new BodyBuilder().U64(1).U16(0).U16(1).U16(0).U16(16384).U16(1).ToArray();
        Assert.False(ResponseDecoder.TryReadClusterInfo(lastTooBig, out _, out _, out _, out ProtocolError error));
        Assert.Equal(ProtocolErrorCode.OutOfRange, error.Code);

        byte[] inverted = new BodyBuilder().U64(1).U16(0).U16(1).U16(10).U16(5).U16(1).ToArray();
        Assert.False(ResponseDecoder.TryReadClusterInfo(inverted, out _, out _, out _, out error));
        Assert.Equal(ProtocolErrorCode.OutOfRange, error.Code);

        byte[] tokensLie = new BodyBuilder().U16(3).U64(1).ToArray();
        Assert.False(ResponseDecoder.TryReadTokens(tokensLie, out _, out error));
        Assert.Equal(ProtocolErrorCode.Truncated, error.Code);
    }

    [Fact]
    public void Random_bytes_never_throw_from_the_frame_reader_or_any_decoder()
    {
        var limits = new ProtocolLimits { MaxKeySize = 16, MaxFrameSize = 4096 };
        Gen.Select(Gen.Byte.Array[0, 80], Gen.Int[0, 80]).Sample(t =>
        {
            var (bytes, split) = t;
            var buffer = Segments.SplitAt(bytes, Math.Min(split, bytes.Length));
            int frames = 0;
            while (FrameReader.TryReadFrame(ref buffer, limits, out Frame frame, out _) && frames++ < 100)
            {
                byte[] scratch = new byte[frame.Header.BodyLength];
                DecodeAll(frame.Header, frame.GetBodySpan(scratch), limits);
            }

            // Also every decoder straight on the random bytes as a body.
            foreach (Opcode op in Enum.GetValues<Opcode>())
            {
                DecodeAll(new FrameHeader(bytes.Length, 0, op, FrameFlags.Fenced, 0), bytes, limits);
            }
        }, iter: 2000);
    }

    [Fact]
    public void Random_mutations_of_valid_frames_never_throw()
    {
        byte[] valid = Wire.Encode(w => FrameWriter.WriteMultiPut(w, 1, [new KeyValue("key"u8.ToArray(), "value"u8.ToArray()), new KeyValue("k2"u8.ToArray(), new byte[20])]));
        Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte).Array[1, 4].Sample(mutations =>
        {
            byte[] bytes = (byte[])valid.Clone();
            foreach (var (index, b) in mutations)
            {
                bytes[index] = b;
            }

            var buffer = new ReadOnlySequence<byte>(bytes);
            if (FrameReader.TryReadFrame(ref buffer, ProtocolLimits.Default, out Frame frame, out _))
            {
                byte[] scratch = new byte[frame.Header.BodyLength];
                DecodeAll(frame.Header, frame.GetBodySpan(scratch), ProtocolLimits.Default);
            }
        }, iter: 2000);
    }

    private static void DecodeAll(FrameHeader h, ReadOnlySpan<byte> body, ProtocolLimits limits)
    {
        RequestDecoder.TryValidateHeader(h, out _);
        DecodeRequest(h, body, limits);
        ResponseDecoder.TryReadError(body, out _, out _);
        ResponseDecoder.TryReadWrongNode(body, out _, out _, out _, out _);
        ResponseDecoder.TryReadValue(body, out _, out _);
        ResponseDecoder.TryReadHello(body, out _, out _);
        if (ResponseDecoder.TryReadClusterInfo(body, out _, out var members, out var ranges, out _))
        {
            foreach (var m in members)
            {
                _ = m.NodeId;
            }

            for (int i = 0; i < ranges.Count; i++)
            {
                _ = ranges[i];
            }
        }

        if (ResponseDecoder.TryReadMultiGet(body, out var results, out _))
        {
            foreach (var r in results)
            {
                _ = r.Value.Length;
            }
        }

        if (ResponseDecoder.TryReadTokens(body, out var tokens, out _))
        {
            for (int i = 0; i < tokens.Count; i++)
            {
                _ = tokens[i];
            }
        }
    }

    /// <summary>Dispatches like a node would; enumerates every list so enumeration is exercised too.</summary>
    private static ProtocolError DecodeRequest(FrameHeader h, ReadOnlySpan<byte> body, ProtocolLimits limits)
    {
        ProtocolError error;
        switch (h.Opcode)
        {
            case Opcode.Hello:
                RequestDecoder.TryReadHello(body, out _, out error);
                break;
            case Opcode.ClusterInfo:
                RequestDecoder.TryReadEmpty(body, out error);
                break;
            case Opcode.Get:
                RequestDecoder.TryReadGet(body, limits, out _, out error);
                break;
            case Opcode.Put:
            case Opcode.PutIfAbsent:
                RequestDecoder.TryReadPut(body, h.Flags, limits, out _, out _, out _, out error);
                break;
            case Opcode.Delete:
                RequestDecoder.TryReadDelete(body, h.Flags, limits, out _, out _, out error);
                break;
            case Opcode.MultiPut:
                if (RequestDecoder.TryReadMultiPut(body, limits, out var entries, out error))
                {
                    foreach (var e in entries)
                    {
                        Assert.InRange(e.Key.Length, 1, limits.MaxKeySize);
                    }
                }

                break;
            case Opcode.MultiGet:
                if (RequestDecoder.TryReadMultiGet(body, limits, out var keys, out error))
                {
                    EnumerateKeys(keys, limits);
                }

                break;
            case Opcode.Lock:
            case Opcode.TxnLock:
                if (RequestDecoder.TryReadLock(body, limits, out _, out _, out _, out keys, out error))
                {
                    EnumerateKeys(keys, limits);
                }

                break;
            case Opcode.TxnRead:
                if (RequestDecoder.TryReadTxnRead(body, limits, out _, out keys, out error))
                {
                    EnumerateKeys(keys, limits);
                }

                break;
            case Opcode.Unlock:
                if (RequestDecoder.TryReadUnlock(body, limits, out _, out keys, out error))
                {
                    EnumerateKeys(keys, limits);
                }

                break;
            case Opcode.RenewLease:
                if (RequestDecoder.TryReadRenewLease(body, limits, out _, out _, out keys, out error))
                {
                    EnumerateKeys(keys, limits);
                }

                break;
            case Opcode.TxnPrepare:
                if (RequestDecoder.TryReadTxnPrepare(body, limits, out _, out _, out _, out var members, out var writes, out error))
                {
                    Assert.InRange(members.Count, 1, ushort.MaxValue);
                    foreach (var w in writes)
                    {
                        Assert.InRange(w.Key.Length, 1, limits.MaxKeySize);
                    }
                }

                break;
            case Opcode.TxnCommit:
            case Opcode.TxnAbort:
            case Opcode.TxnStatus:
                RequestDecoder.TryReadTxnAttempt(body, out _, out _, out error);
                break;
            case Opcode.TxnPin:
            case Opcode.TxnWound:
                RequestDecoder.TryReadTxnId(body, out _, out error);
                break;
            case Opcode.RespPublish:
                RequestDecoder.TryReadRespPublish(body, out _, out _, out error);
                break;
            default:
                error = default;
                break;
        }

        _ = error.Message;
        return error;
    }

    private static void EnumerateKeys(KeyList keys, ProtocolLimits limits)
    {
        int n = 0;
        foreach (var k in keys)
        {
            Assert.InRange(k.Length, 1, limits.MaxKeySize);
            n++;
        }

        Assert.Equal(keys.Count, n);
    }
}
