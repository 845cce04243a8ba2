namespace FastDht.Benchmarks.Storage;

/// <summary>Runs one body on N threads per call, with N − 1 threads kept alive between calls so that no thread starts inside a measurement.</summary>
/// <remarks>
/// The calling thread is worker 0. With one thread the body runs inline with no synchronization at all.
/// A call costs two barrier phases (microseconds), amortized over the tens of thousands of operations each body runs.
/// </remarks>
internal sealed class ParallelRunner : IDisposable
{
    private readonly Action<int> _body;
    private readonly Thread[] _workers;
    private readonly Barrier? _start;
    private readonly Barrier? _done;
    private volatile bool _stopping;

    public ParallelRunner(int threads, Action<int> body)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _body = body;
        _workers = new Thread[threads - 1];
        if (threads > 1)
        {
            _start = new Barrier(threads);
            _done = new Barrier(threads);
        }

        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"bench-worker-{i + 1}" };
            _workers[i].Start(i + 1);
        }
    }

    public void Run()
    {
        if (_start is null)
        {
            _body(0);
            return;
        }

        _start.SignalAndWait();
        _body(0);
        _done!.SignalAndWait();
    }

    public void Dispose()
    {
        if (_start is not null)
        {
            _stopping = true;
            _start.SignalAndWait();
            foreach (var worker in _workers)
            {
                worker.Join(TimeSpan.FromSeconds(10));
            }

            _start.Dispose();
            _done!.Dispose();
        }
    }

    private void WorkerLoop(object? state)
    {
        int index = (int)state!;
        while (true)
        {
            _start!.SignalAndWait();
            if (_stopping)
            {
                return;
            }

            _body(index);
            _done!.SignalAndWait();
        }
    }
}
