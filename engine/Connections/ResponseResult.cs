using FastDht.Protocol;

namespace FastDht.Engine.Connections;

/// <summary>What a request came back with, copied out of the receive pipe: a status and the part of the body the caller asked for.</summary>
internal readonly struct ResponseResult
{
    public ResponseResult(StatusCode status, byte[]? payload, string? errorMessage)
    {
        Status = status;
        Payload = payload;
        ErrorMessage = errorMessage;
    }

    public StatusCode Status { get; }

    /// <summary>The value (for <see cref="ResponseShape.Value"/>) or the whole body (for <see cref="ResponseShape.Body"/>).</summary>
    public byte[]? Payload { get; }

    /// <summary>The error body's message, for an error status.</summary>
    public string? ErrorMessage { get; }

    public bool IsError => (ushort)Status >= 0x100;
}
