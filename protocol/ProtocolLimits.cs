using FastDht.Protocol.Internal;

namespace FastDht.Protocol;

/// <summary>The size limits a node or client enforces on the frames it receives.</summary>
/// <remarks>
/// Immutable once built; share one instance per node. <see cref="Default"/> holds the defaults.
/// </remarks>
public sealed class ProtocolLimits
{
    /// <summary>
    /// 64 MiB: the default bound on a frame's length field, and so on a value (a value travels in one frame). Redis
    /// accepts values up to 512 MB (proto-max-bulk-len), yet values beyond tens of MB are rare; 64 MiB takes what
    /// Redis users store (and Redis's own tests send, values of several MB) without raising the limit.
    /// </summary>
    public const int DefaultMaxFrameSize = 64 << 20;

    /// <summary>1 GiB: the largest <see cref="MaxFrameSize"/> accepted; keeps every size computation inside an int.</summary>
    public const int MaxFrameSizeCap = 1 << 30;

    /// <summary>
    /// 4 KiB: the smallest <see cref="MaxFrameSize"/> accepted, so that Hello and an error response
    /// with a useful message always fit.
    /// </summary>
    public const int MinFrameSize = 4 << 10;

    /// <summary>65535: a key's length is a u16 on the wire.</summary>
    public const int DefaultMaxKeySize = ProtocolConstants.MaxWireKeySize;

    private readonly int _maxFrameSize = DefaultMaxFrameSize;
    private readonly int _maxKeySize = DefaultMaxKeySize;

    /// <summary>The defaults: 64 MiB frames, 65535-byte keys.</summary>
    public static ProtocolLimits Default { get; } = new();

    /// <summary>The largest value accepted in a frame's length field (8 header bytes + body).</summary>
    /// <remarks>
    /// Defaults to 64 MiB (<see cref="DefaultMaxFrameSize"/>); settable from 4 KiB to 1 GiB. It is
    /// checked from the 12-byte header alone, before the body is awaited, so a lying header costs
    /// nothing: memory is only used as the frame's bytes actually arrive. It still bounds what one
    /// connection can make the receiver buffer (about twice this, the receive pipe's pause threshold):
    /// a security setting, like Kestrel's MaxRequestBufferSize. A node open to untrusted clients should
    /// lower it to the largest value it stores (1 MiB keeps 1000 connections mid-frame under 1 GiB);
    /// Redis's own limit (512 MB values) needs about 513 MiB.
    /// </remarks>
    public int MaxFrameSize
    {
        get => _maxFrameSize;
        init
        {
            if (value < MinFrameSize || value > MaxFrameSizeCap)
            {
                Throw.ArgumentOutOfRange(nameof(MaxFrameSize), "must be between 4 KiB and 1 GiB");
            }

            _maxFrameSize = value;
        }
    }

    /// <summary>The longest key accepted, in bytes.</summary>
    /// <remarks>
    /// Defaults to 65535 (<see cref="DefaultMaxKeySize"/>, the wire maximum); settable from 1 to 65535.
    /// A longer key in a request is answered with InvalidKey.
    /// </remarks>
    public int MaxKeySize
    {
        get => _maxKeySize;
        init
        {
            if (value < 1 || value > ProtocolConstants.MaxWireKeySize)
            {
                Throw.ArgumentOutOfRange(nameof(MaxKeySize), "must be between 1 and 65535");
            }

            _maxKeySize = value;
        }
    }
}
