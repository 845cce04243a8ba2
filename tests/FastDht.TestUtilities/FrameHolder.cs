using System.Buffers;
using FastDht.Protocol;

namespace FastDht.TestUtilities;

/// <summary>
/// One pump's share of <see cref="LoopbackProxy.HoldFrames"/>: cuts the bytes of its direction into native frames while a
/// hold is set, keeps back the frames it matches and passes the others on, in order.
/// </summary>
/// <remarks>
/// A frame split over chunks waits for its end (only while a hold is set or a partial frame is pending). Bytes that
/// stop parsing as frames (a connection not speaking the native protocol) end the holding for that connection: they
/// and everything after them pass unchanged. Held frames go out, before anything else, at the first chunk after the
/// hold is lifted.
/// </remarks>
internal sealed class FrameHolder(DirectionFaults faults)
{
    private readonly List<byte[]> _held = [];
    private byte[] _pending = [];
    private bool _notFrames;

    /// <summary>The bytes to forward for <paramref name="chunk"/> (the chunk itself when nothing is held or pending).</summary>
    public ReadOnlyMemory<byte> Pass(ReadOnlyMemory<byte> chunk)
    {
        Func<FrameHeader, bool>? hold = faults.HoldFrames;
        if (_notFrames || (hold is null && _held.Count == 0 && _pending.Length == 0))
        {
            return chunk;
        }

        var output = new ArrayBufferWriter<byte>(chunk.Length + 64);
        if (hold is null)
        {
            // Lifted: what was held first, then any partial frame and the new bytes as they are.
            foreach (byte[] frame in _held)
            {
                output.Write(frame);
            }

            faults.AddHeldFrames(-_held.Count);
            _held.Clear();
            output.Write(_pending);
            _pending = [];
            output.Write(chunk.Span);
            return output.WrittenMemory;
        }

        byte[] bytes = [.. _pending, .. chunk.Span];
        var buffer = new ReadOnlySequence<byte>(bytes);
        while (true)
        {
            ReadOnlySequence<byte> before = buffer;
            if (!FrameReader.TryReadFrame(ref buffer, ProtocolLimits.Default, out Frame frame, out ProtocolError error))
            {
                if (!error.IsNone)
                {
                    _notFrames = true; // not the native protocol: everything from here passes as it is
                    output.Write(before.ToArray());
                    _pending = [];
                    return output.WrittenMemory;
                }

                break;
            }

            ReadOnlySequence<byte> raw = before.Slice(0, before.Length - buffer.Length);
            if (hold(frame.Header))
            {
                _held.Add(raw.ToArray());
                faults.AddHeldFrames(1);
            }
            else
            {
                foreach (ReadOnlyMemory<byte> segment in raw)
                {
                    output.Write(segment.Span);
                }
            }
        }

        _pending = buffer.ToArray();
        return output.WrittenMemory;
    }

    /// <summary>The connection ended: what it held is lost with it.</summary>
    public void Abandon()
    {
        faults.AddHeldFrames(-_held.Count);
        _held.Clear();
    }
}
