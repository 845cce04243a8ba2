using System.Buffers;
using FastDht.Protocol.Tests.Infrastructure;

namespace FastDht.Protocol.Tests;

/// <summary>Encoding and decoding allocate nothing (bytes counted on this thread, never timed).</summary>
public class AllocationTests
{
    private const int Iterations = 2000;

    [Fact]
    public void Encode_and_decode_of_hot_frames_allocate_nothing()
    {
        byte[] key = new byte[16];
        byte[] value = new byte[1024];
        var txn = new TxnId(1, 2, 3);
        ReadOnlyMemory<byte>[] keys = [key, value.AsMemory(0, 32)];
        KeyValue[] entries = [new KeyValue(key, value)];
        LookupResult[] results = [new LookupResult(value), LookupResult.Absent];
        var writer = new ArrayBufferWriter<byte>(64 * 1024);
        byte[] scratch = new byte[8 * 1024];

        // A multi-segment copy of a Put, to cover the straddling-header path and GetBodySpan's copy.
        byte[] put = Wire.Encode(w => FrameWriter.WritePut(w, 1, key, value));
        ReadOnlySequence<byte> fragmented = Segments.SplitAt(put, 5);

        long total = 0;
        for (int round = 0; round < 2; round++)
        {
            // Round 0 warms up (JIT, statics); round 1 is measured.
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Iterations; i++)
            {
                writer.ResetWrittenCount();
                FrameWriter.WriteGet(writer, (uint)i, key);
                FrameWriter.WritePut(writer, (uint)i, key, value);
                FrameWriter.WriteValueResponse(writer, (uint)i, Opcode.Get, value);
                FrameWriter.WriteStatusResponse(writer, (uint)i, Opcode.Put, StatusCode.Ok);
                FrameWriter.WriteMultiPut(writer, (uint)i, entries);
                FrameWriter.WriteLock(writer, (uint)i, txn, LockMode.Exclusive, 100, keys);
                FrameWriter.WriteMultiGetResponse(writer, (uint)i, results);
                FrameWriter.WriteErrorResponse(writer, (uint)i, Opcode.Get, StatusCode.Timeout, "timed out"u8);

                var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);
                while (FrameReader.TryReadFrame(ref buffer, ProtocolLimits.Default, out Frame frame, out ProtocolError error))
                {
                    total += Decode(frame, scratch);
                    if (!error.IsNone)
                    {
                        total--;
                    }
                }

                var pieces = fragmented;
                if (FrameReader.TryReadFrame(ref pieces, ProtocolLimits.Default, out Frame split, out _))
                {
                    total += Decode(split, scratch);
                }
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (round == 1)
            {
                Assert.Equal(0, allocated);
            }
        }

        Assert.True(total > 0);
    }

    internal static long Decode(in Frame frame, byte[] scratch)
    {
        ReadOnlySpan<byte> body = frame.GetBodySpan(scratch);
        FrameHeader h = frame.Header;
        long n = 0;
        if (h.IsResponse)
        {
            if (h.IsError)
            {
                n += ResponseDecoder.TryReadError(body, out var message, out _) ? message.Length : 0;
            }
            else if (h.Opcode == Opcode.Get)
            {
                n += ResponseDecoder.TryReadValue(body, out var value, out _) ? value.Length : 0;
            }
            else if (h.Opcode == Opcode.MultiGet && ResponseDecoder.TryReadMultiGet(body, out var results, out _))
            {
                foreach (var r in results)
                {
                    n += r.Value.Length;
                }
            }

            return n + 1;
        }

        RequestDecoder.TryValidateHeader(h, out _);
        switch (h.Opcode)
        {
            case Opcode.Get:
                n += RequestDecoder.TryReadGet(body, ProtocolLimits.Default, out var key, out _) ? key.Length : 0;
                break;
            case Opcode.Put:
                n += RequestDecoder.TryReadPut(body, h.Flags, ProtocolLimits.Default, out key, out var v, out _, out _) ? v.Length : 0;
                break;
            case Opcode.MultiPut:
                if (RequestDecoder.TryReadMultiPut(body, ProtocolLimits.Default, out var entries, out _))
                {
                    foreach (var e in entries)
                    {
                        n += e.Value.Length;
                    }
                }

                break;
            case Opcode.Lock:
                if (RequestDecoder.TryReadLock(body, ProtocolLimits.Default, out _, out _, out _, out var keys, out _))
                {
                    foreach (var k in keys)
                    {
                        n += k.Length + KeySlot.Of(k);
                    }
                }

                break;
        }

        return n;
    }
}
