using System.Runtime.InteropServices;

namespace FastDht.NodeHost;

/// <summary>
/// SIGINT and SIGTERM as a stop request: the first completes <see cref="Requested"/> (the host drains and exits 0),
/// a second exits the process at once.
/// </summary>
/// <remarks>
/// PosixSignalRegistration handles both signals alike on Linux and macOS (and Ctrl+C / close on Windows); cancelling
/// the context keeps the runtime from terminating the process before the drain.
/// </remarks>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly TaskCompletionSource<string> _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;
    private int _count;

    public ShutdownSignal()
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Completes with the signal's name when the first signal arrives.</summary>
    public Task<string> Requested => _requested.Task;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        var (name, number) = context.Signal == PosixSignal.SIGINT ? ("SIGINT", 2) : ("SIGTERM", 15);
        if (Interlocked.Increment(ref _count) == 1)
        {
            _requested.TrySetResult(name);
            return;
        }
        // Straight to stderr: the console logger writes from a background queue that an immediate exit does not drain.
        Console.Error.WriteLine($"fastdht-node: second {name}: exiting without draining");
        Environment.Exit(ExitCodes.ForcedBy(number));
    }
}
