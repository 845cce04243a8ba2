using System.Runtime.InteropServices;

namespace FastDht.LoadGen;

/// <summary>
/// Turns the first Ctrl+C (SIGINT) or SIGTERM into a cancellation, so the run stops early and still prints its
/// report; a second signal ends the process as usual, for a run that does not stop.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    public StopSignal()
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _source.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (_source.IsCancellationRequested)
            return;
        context.Cancel = true;
        _source.Cancel();
    }
}
