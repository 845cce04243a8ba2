namespace FastDht.Protocol;

/// <summary>The decoded 12-byte header of a native-protocol frame.</summary>
public readonly struct FrameHeader
{
    public FrameHeader(int bodyLength, uint requestId, Opcode opcode, FrameFlags flags, StatusCode status)
    {
        BodyLength = bodyLength;
        RequestId = requestId;
        Opcode = opcode;
        Flags = flags;
        Status = status;
    }

    /// <summary>Body bytes after the header (the length field minus 8).</summary>
    public int BodyLength { get; }

    /// <summary>Chosen by the requester, echoed in the response.</summary>
    public uint RequestId { get; }

    /// <summary>The operation; may be a value this version does not define.</summary>
    public Opcode Opcode { get; }

    /// <summary>The flag bits.</summary>
    public FrameFlags Flags { get; }

    /// <summary>0 in requests; the outcome in responses.</summary>
    public StatusCode Status { get; }

    /// <summary>True for a response frame.</summary>
    public bool IsResponse => (Flags & FrameFlags.Response) != 0;

    /// <summary>True when the status is an error (its body is an error body).</summary>
    public bool IsError => (ushort)Status >= 0x100;

    /// <summary>Bytes of the whole frame on the wire.</summary>
    public int FrameLength => ProtocolConstants.HeaderSize + BodyLength;
}
