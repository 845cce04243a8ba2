using FastDht.Protocol.Internal;

namespace FastDht.Protocol;

/// <summary>The size limits a node or client enforces on the frames it receives.</summary>
/// <remarks>
/// Immutable once built; share one instance per node. <see cref="Default"/> holds the defaults.
/// </remarks>
public sealed class ProtocolLimits
{
    /// <summary>1 MiB: the default bound on a frame's length field.</summary>
    public const int DefaultMaxFrameSize = 1 << 20;

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

    /// <summary>The defaults: 1 MiB frames, 65535-byte keys.</summary>
    public static ProtocolLimits Default { get; } = new();

    /// <summary>The largest value accepted in a frame's length field (8 header bytes + body).</summary>
    /// <remarks>
    /// Defaults to 1 MiB (<see cref="DefaultMaxFrameSize"/>); settable from 4 KiB to 1 GiB. It is
    /// checked from the 12-byte header alone, before the body is awaited, so it bounds what one
    /// connection can make the receiver buffer for a single frame: a security setting, like Kestrel's
    /// MaxRequestBufferSize: raise it only as far as the largest value you store, because an untrusted
    /// peer can make the node hold this many bytes per connection. 1 MiB holds a 64 KiB key with a
    /// value of nearly 1 MiB, and keeps 1000 connections mid-frame under 1 GiB.
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
