using System.Buffers;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// Where a connection's read loop writes a command's immediate reply: passes every write through to the output (or the
/// queued slot) and keeps the start of the reply when it is an error, for INFO errorstats.
/// </summary>
/// <remarks>
/// Requirement: count the error replies of every command (Redis's afterErrorReply) without a look-up per reply at the
/// many places that write one. Every RESP reply starts with its type byte, and a command's reply is the first thing it
/// writes: so once armed, the first Advance tells whether the reply is an error ('-'), and then the tap steps aside
/// (one flag test per write). Writes go through <see cref="GetMemory"/> while armed so the bytes stay readable at
/// Advance. Used by the read loop only.
/// </remarks>
internal sealed class ReplyTap : IBufferWriter<byte>
{
    // Redis reads an error's prefix within its first 32 bytes.
    private readonly byte[] _error = new byte[32];
    private IBufferWriter<byte> _inner = null!;
    private Memory<byte> _last;
    private bool _armed;

    /// <summary>The first bytes of the error the command answered; empty when it answered none (yet).</summary>
    public ReadOnlySpan<byte> Error => _error.AsSpan(0, ErrorLength);

    private int ErrorLength { get; set; }

    /// <summary>Sends the writes to <paramref name="inner"/> from now on.</summary>
    public IBufferWriter<byte> Over(IBufferWriter<byte> inner)
    {
        _inner = inner;
        return this;
    }

    /// <summary>A command starts: its first write is looked at.</summary>
    public void Arm()
    {
        _armed = true;
        ErrorLength = 0;
    }

    /// <summary>The command is over: nothing more is looked at, and the error it answered is forgotten.</summary>
    public void Disarm()
    {
        _armed = false;
        _last = default;
        ErrorLength = 0;
    }

    public void Advance(int count)
    {
        if (_armed && count > 0)
        {
            _armed = false;
            var written = _last.Span;
            if (written.Length >= count && written[0] == (byte)'-')
            {
                var length = Math.Min(count, _error.Length);
                written[..length].CopyTo(_error);
                ErrorLength = length;
            }
            _last = default;
        }
        _inner.Advance(count);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        var memory = _inner.GetMemory(sizeHint);
        if (_armed)
            _last = memory;
        return memory;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => _armed ? GetMemory(sizeHint).Span : _inner.GetSpan(sizeHint);
}
