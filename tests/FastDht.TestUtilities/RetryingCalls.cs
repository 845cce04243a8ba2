using FastDht.Engine.Client;
using FastDht.Engine.Keyspace;

namespace FastDht.TestUtilities;

/// <summary>Puts and gets retried within <see cref="Bounded"/>'s limits while the cluster refuses them for a moment.</summary>
public static class RetryingCalls
{
    /// <summary>Retries on any refusal (a lease being renewed, an election, a move's handover).</summary>
    public static bool AnyRefusal(DhtException e) => true;

    /// <summary>Retries only while a serving lease lapsed on a loaded machine; any other refusal fails the test.</summary>
    public static bool LeaseLapsed(DhtException e) => e.Message.Contains(ServingLease.Message, StringComparison.Ordinal);

    /// <summary>Puts <paramref name="value"/>, retrying while <paramref name="retry"/> accepts the refusal.</summary>
    public static Task PutAsync(DhtClient client, string key, string value, Func<DhtException, bool> retry) =>
        Bounded.UntilAsync(
            async () =>
            {
                try
                {
                    await client.PutAsync(key, value);
                    return true;
                }
                catch (DhtException e) when (retry(e))
                {
                    return false;
                }
            },
            $"{key} to be written");

    /// <summary>Reads <paramref name="key"/>, retrying while <paramref name="retry"/> accepts the refusal.</summary>
    public static async Task<string?> GetAsync(DhtClient client, string key, Func<DhtException, bool> retry)
    {
        string? value = null;
        await Bounded.UntilAsync(
            async () =>
            {
                try
                {
                    value = await client.GetStringAsync(key);
                    return true;
                }
                catch (DhtException e) when (retry(e))
                {
                    return false;
                }
            },
            $"{key} to be read");
        return value;
    }
}
