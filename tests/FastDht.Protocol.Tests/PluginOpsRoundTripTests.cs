using System.Buffers;
using System.Text;
using CsCheck;
using FastDht.Protocol.Resp;
using FastDht.Protocol.Tests.Infrastructure;

namespace FastDht.Protocol.Tests;

/// <summary>NodeInfo and RespExecute: encode, decode (whole and one byte per segment), compare.</summary>
public class PluginOpsRoundTripTests
{
    private static readonly Gen<string> GenText = Gen.String[Gen.Char['a', 'z'], 0, 30];

    [Fact]
    public void NodeInfo_request_and_response_round_trip()
    {
        var w = new ArrayBufferWriter<byte>();
        FrameWriter.WriteNodeInfo(w, 7);
        var request = Wire.ReadSingle(w.WrittenSpan.ToArray());
        Assert.Equal(Opcode.NodeInfo, request.Header.Opcode);
        Assert.True(RequestDecoder.TryValidateHeader(request.Header, out _));
        Assert.True(RequestDecoder.TryReadEmpty(request.Body, out _));

        Gen.Select(GenText, GenText).Array[0, 5].Sample(pairs =>
        {
            var listeners = pairs.Select(p => new ListenerInfo(p.Item1, p.Item2 + ":1")).ToArray();
            var rw = new ArrayBufferWriter<byte>();
            FrameWriter.WriteNodeInfoResponse(rw, 9, listeners);
            var bytes = rw.WrittenSpan.ToArray();
            foreach (var frame in new[] { Wire.ReadSingle(bytes), Wire.ReadSingle(Segments.BytePerSegment(bytes)) })
            {
                Assert.True(frame.Header.IsResponse);
                Assert.Equal(Opcode.NodeInfo, frame.Header.Opcode);
                Assert.True(ResponseDecoder.TryReadNodeInfo(frame.Body, out var decoded, out _));
                Assert.Equal(listeners, decoded);
            }
        });
    }

    [Fact]
    public void NodeInfo_response_with_trailing_or_missing_bytes_is_malformed()
    {
        var rw = new ArrayBufferWriter<byte>();
        FrameWriter.WriteNodeInfoResponse(rw, 1, [new ListenerInfo("resp", "127.0.0.1:6380")]);
        var body = Wire.ReadSingle(rw.WrittenSpan.ToArray()).Body;
        Assert.False(ResponseDecoder.TryReadNodeInfo(body[..^1], out _, out var truncated));
        Assert.Equal(StatusCode.BadRequest, truncated.Status);
        Assert.False(ResponseDecoder.TryReadNodeInfo([.. body, 0], out _, out var trailing));
        Assert.Equal(StatusCode.BadRequest, trailing.Status);
    }

    [Fact]
    public void RespExecute_carries_the_command_as_a_multibulk_whatever_form_it_arrived_in()
    {
        Gen.Byte.Array[0, 40].Array[1, 6].Sample(args =>
        {
            // The command arrives inline or as multibulk, possibly split across segments; what travels is multibulk.
            var multibulk = Encode(args);
            var command = new RespCommand();
            var source = Segments.BytePerSegment(multibulk);
            Assert.True(RespRequestReader.TryRead(ref source, command, RespLimits.Default, out _));

            var w = new ArrayBufferWriter<byte>();
            FrameWriter.WriteRespExecute(w, 3, 3, command);
            Assert.Equal(FrameWriter.RespExecuteFrameLength(command), w.WrittenCount);
            var frame = Wire.ReadSingle(w.WrittenSpan.ToArray());
            Assert.True(RequestDecoder.TryValidateHeader(frame.Header, out _));
            Assert.Equal(Opcode.RespExecute, frame.Header.Opcode);
            Assert.True(RequestDecoder.TryReadRespExecute(frame.Body, out var version, out var carried, out _));
            Assert.Equal(3, version);
            Assert.Equal(multibulk, carried.ToArray());
            command.Dispose();
        });
    }

    [Fact]
    public void RespExecute_rejects_a_bad_version_or_an_empty_command()
    {
        Assert.False(RequestDecoder.TryReadRespExecute([4, (byte)'*'], out _, out _, out var badVersion));
        Assert.Equal(StatusCode.BadRequest, badVersion.Status);
        Assert.False(RequestDecoder.TryReadRespExecute([2], out _, out _, out var empty));
        Assert.Equal(StatusCode.BadRequest, empty.Status);
        Assert.False(RequestDecoder.TryReadRespExecute([], out _, out _, out var none));
        Assert.Equal(StatusCode.BadRequest, none.Status);
    }

    private static byte[] Encode(byte[][] args)
    {
        var text = new List<byte>(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (var a in args)
        {
            text.AddRange(Encoding.ASCII.GetBytes($"${a.Length}\r\n"));
            text.AddRange(a);
            text.AddRange("\r\n"u8.ToArray());
        }
        return [.. text];
    }
}
