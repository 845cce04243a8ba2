namespace FastDht.LoadGen;

/// <summary>
/// Turns the first Ctrl+C into a cancellation, so the run stops early and still prints its report; a second Ctrl+C
/// ends the process as usual, for a run that does not stop.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _source = new();

    public StopSignal() => Console.CancelKeyPress += OnCancelKeyPress;

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _source.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (_source.IsCancellationRequested)
            return;
        e.Cancel = true;
        _source.Cancel();
    }
}
