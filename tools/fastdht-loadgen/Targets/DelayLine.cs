using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;

namespace FastDht.LoadGen.Targets;

// Design: a fixed network delay without tc netem.
// Requirements: every chunk a relay reads is written on exactly its delay after it was read, whatever else is in
// flight (a latency, not a bandwidth limit: chunks in flight overlap, as packets on a wire do), in order per connection,
// without a core spinning. Because the delay is the same for every chunk, delivery order is arrival order, so one FIFO
// per line is enough. One thread owns the FIFO's head: it sleeps until the head is due and writes it. Sub-millisecond
// sleeps: .NET timers and Thread.Sleep have millisecond resolution, so on Linux the thread sleeps with nanosleep and
// sets its timer slack to 1 ns (prctl PR_SET_TIMERSLACK; the default 50 µs would add itself to every 50 µs delay);
// what is left is the scheduler's wake-up latency, a few to tens of µs on a busy machine, which docs/benchmarks.md
// reports with the figures. Elsewhere it sleeps whole milliseconds and yields for the rest.

/// <summary>Delivers queued chunks to their sockets a fixed delay after they were queued, from one thread.</summary>
internal sealed class DelayLine : IDisposable
{
    private readonly long _delayTicks;
    private readonly Queue<DelayedChunk> _queue = new();
    private readonly object _sync = new();
    private readonly Thread _thread;
    private bool _stopped;

    public DelayLine(TimeSpan delay, string name)
    {
        _delayTicks = (long)(delay.TotalSeconds * Stopwatch.Frequency);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Queues <paramref name="count"/> bytes of a pooled buffer (returned to the pool once written) for <paramref name="to"/>; a count of 0 delivers the end of the stream.</summary>
    public void Enqueue(Socket to, byte[] buffer, int count, RelayPair pair)
    {
        lock (_sync)
        {
            if (_stopped)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                return;
            }
            _queue.Enqueue(new DelayedChunk(Stopwatch.GetTimestamp() + _delayTicks, to, buffer, count, pair));
            if (_queue.Count == 1)
                Monitor.Pulse(_sync);
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            _stopped = true;
            Monitor.Pulse(_sync);
        }
        _thread.Join();
        foreach (var chunk in _queue)
            ArrayPool<byte>.Shared.Return(chunk.Buffer);
        _queue.Clear();
    }

    private void Run()
    {
        if (OperatingSystem.IsLinux())
            NativeSleep.SetFineTimerSlack();
        while (true)
        {
            DelayedChunk head;
            lock (_sync)
            {
                while (_queue.Count == 0 && !_stopped)
                    Monitor.Wait(_sync);
                if (_stopped)
                    return;
                head = _queue.Peek();
            }
            var wait = head.Due - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                SleepTicks(wait);
                continue; // the head is still the head: only this thread dequeues
            }
            lock (_sync)
                _queue.Dequeue();
            Deliver(head);
        }
    }

    private static void Deliver(DelayedChunk chunk)
    {
        try
        {
            if (chunk.Count == 0)
                chunk.To.Shutdown(SocketShutdown.Send);
            else
                chunk.To.Send(chunk.Buffer, 0, chunk.Count, SocketFlags.None);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            chunk.Pair.Close();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk.Buffer);
        }
    }

    private static void SleepTicks(long ticks)
    {
        var nanoseconds = ticks * (1_000_000_000.0 / Stopwatch.Frequency);
        if (OperatingSystem.IsLinux())
        {
            NativeSleep.Nanoseconds((long)nanoseconds);
        }
        else if (nanoseconds >= 1_000_000)
        {
            Thread.Sleep((int)(nanoseconds / 1_000_000));
        }
        else
        {
            Thread.Yield();
        }
    }
}
