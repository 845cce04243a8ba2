using FastDht.Engine.Transport.Internal;

namespace FastDht.Engine.Transport;

/// <summary>A served client's bounds: its unsent output (<see cref="OutputLimit"/>) and its place in the node's <see cref="ClientMemoryBudget"/>.</summary>
/// <remarks>
/// Only a session serving a client opts in (<see cref="BoundAsClient"/>); inbound peer links share the listener's
/// options but never do, so a link between nodes is never closed by a client bound. For every other connection the
/// parse-loop notes below cost one null check each.
/// </remarks>
public sealed partial class SocketConnection
{
    private ClientBufferAccount? _client;

    // A served client (BoundAsClient): its held replies give up when the log fails to write (IOutputBarrier.WaitAsync).
    private bool _isClient;
    // Written by the one parse loop (the handshake's, then the session's), read by the budget's sweep.
    private long _inputConsumed;

    /// <summary>
    /// Marks this connection as a served client: its unsent output is bounded by <see cref="ConnectionOptions.ClientOutputLimit"/>
    /// and its buffers count in <see cref="ConnectionOptions.ClientBudget"/>, which may close it. A session serving a
    /// client calls it once, before its first reply; peer links never do.
    /// </summary>
    /// <param name="reportsInput">
    /// Whether the session's parse loop reports what it consumes (<see cref="OnInputConsumed"/>): the built-in protocols
    /// do; a plugin protocol reads <see cref="Input"/> itself, so only its output is counted.
    /// </param>
    internal void BoundAsClient(bool reportsInput = true)
    {
        _isClient = true;
        if (_options.ClientOutputLimit is { IsOn: true } limit)
            _outputLimit = limit;
        if (_options.ClientBudget is { } budget && _client is null)
            _client = budget.Join(this, reportsInput);
    }

    /// <summary>Bytes flushed and not yet sent.</summary>
    internal long UnsentOutput => Volatile.Read(ref _bytesFlushed) - BytesSent;

    /// <summary>Received bytes the parse loop has not consumed yet: what the input pipe holds (for a connection whose parse loop reports).</summary>
    internal long UnconsumedInput => BytesReceived - Volatile.Read(ref _inputConsumed);

    /// <summary>The parse loop advanced its input past <paramref name="consumed"/> bytes and leaves <paramref name="held"/> unparsed (part of a command).</summary>
    internal void OnInputConsumed(long consumed, long held)
    {
        Volatile.Write(ref _inputConsumed, _inputConsumed + consumed);
        _client?.OnConsumed(consumed, held);
    }

    /// <summary>The parse loop's own memory for the commands it reads (a RESP command's argument tables): counted in the client memory budget with the input.</summary>
    internal void OnParserMemory(long bytes) => _client?.OnParserMemory(bytes);

    /// <summary>The parse loop is about to wait for more input, its replies flushed.</summary>
    internal void OnWaitingForInput() => _client?.OnWaitingForInput();

    /// <summary>The parse loop's wait for input returned.</summary>
    internal void OnInputArrived() => _client?.OnInputArrived();

    /// <summary>The connection is disposed: its buffers leave the budget.</summary>
    private void LeaveClientBudget()
    {
        if (_client is { } account)
            _options.ClientBudget?.Leave(account);
    }
}
