using System.Buffers;
using System.Buffers.Binary;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// Fragments on a link (docs/protocol.md §5.21): the probe that turns them on for this node's sending, and the
/// reassembly of the large frames the peer sends in pieces, bounded like a whole frame.
/// </summary>
/// <remarks>
/// Why: one TCP stream per pair of nodes carries data and control alike, so a 60 MB value held every heartbeat, Raft
/// message and serving-lease renewal behind its bytes, and a healthy primary was failed over (docs/known-issues.md §1).
/// In pieces, the frames that may pass (answers, Ping, LeaseRenew) leave between two pieces of 64 KiB.
/// </remarks>
internal sealed partial class PeerLink
{
    // The one large frame being reassembled (a sender sends one at a time), pooled; null when none.
    private byte[]? _assembly;
    private int _assemblyLength;
    private int _assembled;
    private uint _assemblyStream;
    // When the last piece of the open frame arrived (0: none open): a stream that stops mid-frame closes the link.
    private long _lastPieceTicks;

    /// <summary>
    /// Asks the peer whether it reassembles pieces; if it does, this node's large frames to it go in pieces from now on.
    /// A node from before Fragment answers UnknownOpcode, and gets every frame whole, as before (a rolling upgrade).
    /// </summary>
    public async Task ProbeFragmentsAsync()
    {
        if (!Connection.CanFragment)
            return;
        var result = await CallAsync(new FragmentProbeRequest(), ResponseShape.Status, _mesh.Settings.ConnectTimeout + _mesh.Settings.PeerTimeout, PeerId).ConfigureAwait(false);
        if (result.IsError)
        {
            MeshLog.LinkChange(_mesh.Logger, PeerId, $"large frames go whole: the peer answered the fragment probe {result.Status} ({result.ErrorMessage})");
            return;
        }
        var pieceSize = Math.Min(ProtocolConstants.FragmentPieceSize, SendLimit - ProtocolConstants.LengthOverhead);
        if (await Connection.EnableFragmentsAsync(new PeerFraming(pieceSize)).ConfigureAwait(false))
            MeshLog.LinkChange(_mesh.Logger, PeerId, "large frames go in pieces");
    }

    /// <summary>
    /// A Fragment from the peer: the probe (empty body) is answered Ok; a piece is added to the frame it belongs to, and a
    /// frame whole at last is handled as if it had arrived in one piece. A piece that breaks the rules closes the link:
    /// the stream cannot be trusted past it.
    /// </summary>
    private ValueTask<bool> FragmentAsync(Frame frame)
    {
        var header = frame.Header;
        if (_mesh.AnswersFragmentsAsOldNode)
            return ReplyErrorAsync(header, StatusCode.UnknownOpcode, "unknown opcode 0x09");
        if (header.BodyLength == 0)
            return ReplyAsync(new StatusReply(header.RequestId, Opcode.Fragment, StatusCode.Ok));
        var body = frame.Body;
        if (_assembly is null)
        {
            if (body.Length < ProtocolConstants.HeaderSize)
                return RefusePiece("the first piece of a Fragment stream holds less than its frame's header");
            Span<byte> first = stackalloc byte[ProtocolConstants.HeaderSize];
            body.Slice(0, ProtocolConstants.HeaderSize).CopyTo(first);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(first);
            if (length < ProtocolConstants.LengthOverhead)
                return RefusePiece($"a Fragment stream's frame claims length {length}, less than its header");
            if (length > ReceiveLimits.MaxFrameSize)
                return RefusePiece($"a Fragment stream's frame claims length {length}, over the maximum frame size {ReceiveLimits.MaxFrameSize}");
            if ((Opcode)first[8] == Opcode.Fragment)
                return RefusePiece("a Fragment stream carries a Fragment: pieces are never cut again");
            _assemblyLength = (int)(sizeof(uint) + length);
            _assembly = ArrayPool<byte>.Shared.Rent(_assemblyLength);
            _assembled = 0;
            _assemblyStream = header.RequestId;
        }
        else if (header.RequestId != _assemblyStream)
        {
            return RefusePiece($"a piece of Fragment stream {header.RequestId} came while stream {_assemblyStream} was incomplete: a node sends one large frame at a time");
        }
        if (body.Length > _assemblyLength - _assembled)
            return RefusePiece($"a piece of Fragment stream {header.RequestId} runs past its frame's length ({_assemblyLength} bytes)");
        body.CopyTo(_assembly.AsSpan(_assembled));
        _assembled += (int)body.Length;
        if (_assembled < _assemblyLength)
        {
            Volatile.Write(ref _lastPieceTicks, Environment.TickCount64);
            return new ValueTask<bool>(true);
        }
        Volatile.Write(ref _lastPieceTicks, 0);
        return HandleAssembledAsync();
    }

    /// <summary>The frame is whole: handled as an answer or a request, then its buffer goes back to the pool.</summary>
    private async ValueTask<bool> HandleAssembledAsync()
    {
        var bytes = _assembly!;
        var length = _assemblyLength;
        _assembly = null;
        try
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, length);
            if (!FrameReader.TryReadFrame(ref buffer, ReceiveLimits, out var whole, out var error) || !buffer.IsEmpty)
            {
                MeshLog.BadInput(_mesh.Logger, Connection.RemoteEndPoint, $"a reassembled frame is malformed: {(error.IsNone ? "incomplete" : error.Message)}");
                return false;
            }
            if (whole.Header.IsResponse && OnResponse(whole))
                return true;
            // Handlers copy what they keep before they complete (as with the input pipe), so the buffer is free after.
            return await OnRequestAsync(whole).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>A piece that breaks the rules: logged, and the link closes (its frames cannot be told apart past it).</summary>
    private ValueTask<bool> RefusePiece(string why)
    {
        MeshLog.BadInput(_mesh.Logger, Connection.RemoteEndPoint, why);
        return new ValueTask<bool>(false);
    }

    /// <summary>Whether a frame has been left incomplete for <paramref name="timeoutMs"/>: its pieces stopped while other bytes may still flow.</summary>
    private bool AssemblyStalled(long now, long timeoutMs)
    {
        var last = Volatile.Read(ref _lastPieceTicks);
        return last != 0 && now - last >= timeoutMs;
    }

    /// <summary>After the read loop: the frame being reassembled goes back to the pool.</summary>
    private void ReleaseAssembly()
    {
        if (_assembly is { } bytes)
        {
            _assembly = null;
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
