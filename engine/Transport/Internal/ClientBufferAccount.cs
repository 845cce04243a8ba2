namespace FastDht.Engine.Transport.Internal;

/// <summary>One client connection's entry in the <see cref="ClientMemoryBudget"/>: what its pipes hold and whether it waits on an unfinished command.</summary>
/// <remarks>
/// Written by the connection's own loops (the parse loop reports what it consumed and when it waits, the writer lock
/// counts what it flushed), read by the budget's sweep on a timer thread. Each field has one writer; the sweep reads them with
/// volatile reads and may see a value one batch old, which only moves an eviction by one sweep.
/// </remarks>
internal sealed class ClientBufferAccount
{
    private long _unfinishedSince;
    private readonly bool _reportsInput;
    private bool _waitingForInput;
    // The parse loop's own (only it reads or writes them): what it left unparsed, and whether a command finished since it last waited.
    private long _held;
    private bool _finishedOne;
    private long _parserBytes; // written by the parse loop, read by the sweep

    public ClientBufferAccount(SocketConnection connection, bool reportsInput)
    {
        Connection = connection;
        _reportsInput = reportsInput;
    }

    public SocketConnection Connection { get; }

    /// <summary>The account's place in the budget's list (for removal in O(1)); -1 once removed. Guarded by the budget's lock.</summary>
    public int Index { get; set; } = -1;

    /// <summary>
    /// Received bytes the parse loop has not consumed yet, what the input pipe holds, and the parse loop's own tables for
    /// the commands it reads (0 for a parse loop that does not report).
    /// </summary>
    public long InputBytes => _reportsInput ? Math.Max(0, Connection.UnconsumedInput) + Volatile.Read(ref _parserBytes) : 0;

    /// <summary>Replies flushed and not yet sent: what the output pipe holds.</summary>
    public long OutputBytes => Math.Max(0, Connection.UnsentOutput);

    /// <summary>
    /// Since when (<see cref="Environment.TickCount64"/>) the parse loop has been waiting for the rest of a command whose
    /// first bytes it holds, with no command finished since; 0 while it is not waiting for one.
    /// </summary>
    public long WaitingOnUnfinishedSince => Volatile.Read(ref _waitingForInput) ? Volatile.Read(ref _unfinishedSince) : 0;

    /// <summary>The parse loop advanced its input past <paramref name="consumed"/> bytes, leaving <paramref name="held"/> bytes of an unfinished command.</summary>
    public void OnConsumed(long consumed, long held)
    {
        if (consumed > 0)
            _finishedOne = true;
        _held = held;
    }

    /// <summary>The parse loop's tables for the commands it reads hold <paramref name="bytes"/>.</summary>
    public void OnParserMemory(long bytes) => Volatile.Write(ref _parserBytes, bytes);

    /// <summary>The parse loop is about to wait for more bytes (after its replies are flushed).</summary>
    public void OnWaitingForInput()
    {
        // A command that finished restarts the clock; bytes that only add to the unfinished one do not, so a client
        // that trickles a byte now and then cannot keep a half command forever. The clock starts here, not when the
        // batch was parsed: a flush that waited for the client is not the client's unfinished command.
        if (_held == 0)
            Volatile.Write(ref _unfinishedSince, 0);
        else if (_finishedOne || _unfinishedSince == 0)
            Volatile.Write(ref _unfinishedSince, Environment.TickCount64);
        _finishedOne = false;
        Volatile.Write(ref _waitingForInput, true);
    }

    /// <summary>The parse loop has bytes to parse again: it is not waiting for input until it says so.</summary>
    public void OnInputArrived() => Volatile.Write(ref _waitingForInput, false);
}
