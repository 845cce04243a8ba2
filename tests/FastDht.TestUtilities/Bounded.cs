namespace FastDht.TestUtilities;

/// <summary>Bounded waits for tests: every wait has a timeout and fails with a message instead of hanging.</summary>
public static class Bounded
{
    /// <summary>The default limit for a wait that should finish almost at once: generous for a busy CI machine.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        TimeSpan limit = timeout ?? Timeout;
        using var expiry = new CancellationTokenSource(limit);
        while (!condition())
        {
            if (expiry.IsCancellationRequested)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting until {what}.");
            }

            // 5 ms: fine enough not to slow tests, coarse enough not to burn a shared core.
            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    /// <summary>Polls an asynchronous <paramref name="condition"/> (a request, say) until it holds, failing after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        TimeSpan limit = timeout ?? Timeout;
        using var expiry = new CancellationTokenSource(limit);
        while (!await condition().ConfigureAwait(false))
        {
            if (expiry.IsCancellationRequested)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting until {what}.");
            }

            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    /// <summary>Awaits <paramref name="task"/>, failing if it does not finish within the limit.</summary>
    public static Task WithinAsync(this Task task, string what, TimeSpan? timeout = null) =>
        Wrap(task, what, timeout ?? Timeout);

    /// <summary>Awaits <paramref name="task"/>, failing if it does not finish within the limit.</summary>
    public static async Task<T> WithinAsync<T>(this Task<T> task, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        await Wrap(task, what, timeout ?? Timeout).ConfigureAwait(false);
        return await task.ConfigureAwait(false);
    }

    private static async Task Wrap(Task task, string what, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(task);
        using var expiry = new CancellationTokenSource();
        Task finished = await Task.WhenAny(task, Task.Delay(limit, expiry.Token)).ConfigureAwait(false);
        if (finished != task)
        {
            throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting for {what}.");
        }

        await expiry.CancelAsync().ConfigureAwait(false);
        await task.ConfigureAwait(false); // rethrows the task's own exception, unwrapped
    }
}
