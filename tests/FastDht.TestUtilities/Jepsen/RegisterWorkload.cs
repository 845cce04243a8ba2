using System.Globalization;
using FastDht.Engine.Client;

namespace FastDht.TestUtilities.Jepsen;

/// <summary>
/// Clients for a <see cref="RegisterHistory"/>: writers that each own some keys and write them 1, 2, 3, ... one at a
/// time, and readers that read random keys, all through one smart client, until stopped; every outcome recorded.
/// </summary>
/// <remarks>
/// A write that throws a <see cref="DhtException"/> (timeout, node unavailable, refused) is recorded in doubt and the
/// writer moves on to the key's next value; a read that throws is not recorded. After a failure a client pauses 20 ms,
/// so a cluster that is down is probed, not flooded.
/// </remarks>
public sealed class RegisterWorkload
{
    private readonly DhtClient _client;
    private readonly RegisterHistory _history;
    private readonly string[] _keys;
    private readonly long[] _next;

    /// <summary>A workload over <paramref name="keys"/> (none of which may have been written before).</summary>
    public RegisterWorkload(DhtClient client, RegisterHistory history, IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfLessThan(keys.Count, 1);
        _client = client;
        _history = history;
        _keys = [.. keys];
        _next = new long[_keys.Length];
    }

    /// <summary>The last error a write or read met (null: none yet), for a failure message.</summary>
    public string? LastError { get; private set; }

    /// <summary>The keys, in order.</summary>
    public IReadOnlyList<string> Keys => _keys;

    /// <summary>Runs <paramref name="writers"/> writers (key i belongs to writer i mod writers) and <paramref name="readers"/> readers until <paramref name="stop"/> is cancelled.</summary>
    public Task RunAsync(int writers, int readers, CancellationToken stop)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(writers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(writers, _keys.Length);
        var tasks = new List<Task>();
        for (var w = 0; w < writers; w++)
        {
            var writer = w; // each task its own copy: a for loop's variable is shared by its closures
            tasks.Add(Task.Run(() => WriteLoopAsync(writer, writers, stop), CancellationToken.None));
        }
        for (var r = 0; r < readers; r++)
        {
            var random = new Random(r);
            tasks.Add(Task.Run(() => ReadLoopAsync(random, stop), CancellationToken.None));
        }
        return Task.WhenAll(tasks);
    }

    /// <summary>Reads every key once more (retrying each until it is answered or <paramref name="timeout"/> runs out), so lost writes show in the history.</summary>
    public async Task ReadAllAsync(TimeSpan timeout)
    {
        using var expiry = new CancellationTokenSource(timeout);
        foreach (var key in _keys)
        {
            while (!await TryReadAsync(key).ConfigureAwait(false))
            {
                if (expiry.IsCancellationRequested)
                    throw new TimeoutException($"key {key} could not be read within {timeout.TotalSeconds:0} s after the faults healed");
                await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async Task WriteLoopAsync(int writer, int writers, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            for (var i = writer; i < _keys.Length && !stop.IsCancellationRequested; i += writers)
            {
                var value = ++_next[i];
                var invoked = RegisterHistory.Now();
                try
                {
                    await _client.PutAsync(_keys[i], value.ToString(CultureInfo.InvariantCulture), CancellationToken.None).ConfigureAwait(false);
                    _history.Write(_keys[i], value, invoked, RegisterHistory.Now(), acknowledged: true);
                }
                catch (DhtException e)
                {
                    _history.Write(_keys[i], value, invoked, RegisterHistory.Now(), acknowledged: false);
                    LastError = $"write: {e.Message}";
                    await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task ReadLoopAsync(Random random, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (!await TryReadAsync(_keys[random.Next(_keys.Length)]).ConfigureAwait(false))
                await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<bool> TryReadAsync(string key)
    {
        var invoked = RegisterHistory.Now();
        try
        {
            var text = await _client.GetStringAsync(key, CancellationToken.None).ConfigureAwait(false);
            var completed = RegisterHistory.Now();
            _history.Read(key, text is null ? 0 : long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture), invoked, completed);
            return true;
        }
        catch (DhtException e)
        {
            LastError = $"read: {e.Message}";
            return false;
        }
    }
}
