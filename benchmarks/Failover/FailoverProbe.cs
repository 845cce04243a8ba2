using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FastDht.Engine.Client;

namespace FastDht.Benchmarks.Failover;

/// <summary>
/// The time from SIGKILL of a primary to the first successful write to one of its keys, under load: waits until every
/// replica of the running cluster is in sync (its /cluster endpoints), loads it with writers over every range, writes
/// one key of the victim's range in a loop, kills the victim process and times until a write of that key is
/// acknowledged again. The victim is the Raft leader (<c>--kill leader</c>: its loss adds an election) or another node
/// (<c>--kill other</c>, the <c>--round</c>-th of the others), as the nodes' /cluster name the leader. One measurement
/// per run; benchmarks/failover-time.sh runs it on fresh clusters.
/// <c>failover-probe --seeds H:P,.. --http H:P,.. --pids PID,.. --cluster NAME --kill leader|other [--round N] [--writers 8]</c>
/// (seeds, http and pids in node id order).
/// </summary>
internal static class FailoverProbe
{
    public static int Run(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
            options[args[i]] = args[i + 1];
        if (!options.TryGetValue("--seeds", out var seeds) || !options.TryGetValue("--http", out var http)
            || !options.TryGetValue("--pids", out var pidsText) || options.GetValueOrDefault("--kill") is not ("leader" or "other"))
        {
            Console.Error.WriteLine("usage: failover-probe --seeds H:P,.. --http H:P,.. --pids PID,.. --cluster NAME --kill leader|other [--round N] [--writers 8]");
            return 2;
        }
        var pids = Array.ConvertAll(pidsText.Split(','), p => int.Parse(p, CultureInfo.InvariantCulture));
        var killLeader = options["--kill"] == "leader";
        var round = options.TryGetValue("--round", out var r) ? int.Parse(r, CultureInfo.InvariantCulture) : 0;
        var writers = options.TryGetValue("--writers", out var w) ? int.Parse(w, CultureInfo.InvariantCulture) : 8;
        return RunAsync(seeds.Split(','), http.Split(','), pids, options.GetValueOrDefault("--cluster", "fastdht"), killLeader, round, writers).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string[] seeds, string[] http, int[] pids, string cluster, bool killLeader, int round, int writers)
    {
        using var status = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        if (!await AllInSyncAsync(status, http, TimeSpan.FromSeconds(60)).ConfigureAwait(false))
        {
            Console.Error.WriteLine("failover-probe: the replicas did not all get in sync within 60 s");
            return 1;
        }
        if (await RaftLeaderAsync(status, http).ConfigureAwait(false) is not { } leader || leader >= pids.Length)
        {
            Console.Error.WriteLine("failover-probe: no node names a Raft leader");
            return 1;
        }
        var victim = (ushort)(killLeader ? leader : (leader + 1 + round % (pids.Length - 1)) % pids.Length);
        var options = new DhtClientOptions { ClusterName = cluster, RequestTimeout = TimeSpan.FromMilliseconds(500), ConnectTimeout = TimeSpan.FromMilliseconds(500) };
        foreach (var s in seeds)
            options.Seeds.Add(s);
        await using var client = await DhtClient.ConnectAsync(options).ConfigureAwait(false);
        var key = "";
        for (var i = 0; client.OwnerOf(Encoding.UTF8.GetBytes(key = "probe:" + i.ToString(CultureInfo.InvariantCulture))) != victim; i++)
        {
        }

        using var stop = new CancellationTokenSource();
        var load = new Task[writers];
        long loaded = 0;
        for (var t = 0; t < writers; t++)
        {
            var random = new Random(t);
            load[t] = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await client.PutAsync("load:" + random.Next(100_000).ToString(CultureInfo.InvariantCulture), "v").ConfigureAwait(false);
                        Interlocked.Increment(ref loaded);
                    }
                    catch (DhtException)
                    {
                        await Task.Delay(1).ConfigureAwait(false);
                    }
                }
            });
        }
        // The victim's key takes writes before the kill (the cluster may still be settling its leases).
        for (var tries = 0; ; tries++)
        {
            try
            {
                await client.PutAsync(key, "before").ConfigureAwait(false);
                break;
            }
            catch (DhtException) when (tries < 300)
            {
                await Task.Delay(100).ConfigureAwait(false);
            }
        }
        await Task.Delay(1000).ConfigureAwait(false);

        // Whether the victim (still) leads the Raft group: its loss then adds an election before the promotion.
        var leaderAtKill = await RaftLeaderAsync(status, http).ConfigureAwait(false);
        using (var process = Process.GetProcessById(pids[victim]))
        {
            var killedAtUtc = DateTime.UtcNow;
            var killedAt = Stopwatch.GetTimestamp();
            process.Kill(); // SIGKILL on Linux
            var attempts = 0;
            while (Stopwatch.GetElapsedTime(killedAt) < TimeSpan.FromSeconds(30))
            {
                attempts++;
                try
                {
                    await client.PutAsync(key, "after").ConfigureAwait(false);
                    var ms = Stopwatch.GetElapsedTime(killedAt).TotalMilliseconds;
                    await stop.CancelAsync().ConfigureAwait(false);
                    await Task.WhenAll(load).ConfigureAwait(false);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"failover_ms={ms:0.0} attempts={attempts} load_writes={Interlocked.Read(ref loaded)} killed_at={killedAtUtc:HH:mm:ss.fff} victim={victim} raft_leader={leaderAtKill?.ToString(CultureInfo.InvariantCulture) ?? "unknown"} victim_led={(leaderAtKill == victim ? 1 : 0)}"));
                    return 0;
                }
                catch (DhtException)
                {
                    await Task.Delay(1).ConfigureAwait(false);
                }
            }
        }
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(load).ConfigureAwait(false);
        Console.WriteLine("failover_ms=timeout");
        return 1;
    }

    /// <summary>The Raft leader as the first voter that knows one reports it (/cluster's raftLeader); null when none does.</summary>
    private static async Task<int?> RaftLeaderAsync(HttpClient status, string[] endpoints)
    {
        foreach (var endpoint in endpoints)
        {
            try
            {
                using var json = JsonDocument.Parse(await status.GetStringAsync(new Uri($"http://{endpoint}/cluster")).ConfigureAwait(false));
                if (json.RootElement.TryGetProperty("raftLeader", out var leader) && leader.ValueKind == JsonValueKind.Number)
                    return leader.GetInt32();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
            }
        }
        return null;
    }

    private static async Task<bool> AllInSyncAsync(HttpClient status, string[] endpoints, TimeSpan limit)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var all = true;
            foreach (var endpoint in endpoints)
            {
                try
                {
                    using var json = JsonDocument.Parse(await status.GetStringAsync(new Uri($"http://{endpoint}/cluster")).ConfigureAwait(false));
                    foreach (var range in json.RootElement.GetProperty("slots").EnumerateArray())
                        all &= range.GetProperty("inSync").GetArrayLength() == range.GetProperty("replicas").GetArrayLength();
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
                {
                    all = false;
                }
            }
            if (all)
                return true;
            await Task.Delay(50).ConfigureAwait(false);
        }
        return false;
    }
}
