using System.Text;
using FastDht.Engine.Node;
using FastDht.Engine.Tests.Resp;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Durability;

/// <summary>
/// RPUSH, LPUSH, APPEND, SETBIT and EXPIRE logged as change records: a restart gives exactly the acknowledged values and
/// expiry, also with snapshots taken while they ran, and one more element costs the log a few dozen bytes, not the whole
/// list.
/// </summary>
public sealed class ChangeRecordRestartTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "durability-change-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    private Task<TestCluster> StartAsync() => RespCluster.StartAsync(1, o => o.DataDir = Path.Combine(_root, "node0"));

    private static string Bulk(string s) => $"${Encoding.UTF8.GetByteCount(s)}\r\n{s}\r\n";

    private static string RespArray(IEnumerable<string> items)
    {
        var list = items.ToList();
        return $"*{list.Count}\r\n" + string.Concat(list.Select(Bulk));
    }

    [Fact]
    public async Task Lists_strings_and_bits_written_while_snapshots_run_come_back_exactly_as_acknowledged_after_a_restart()
    {
        const int Writes = 300;
        var appended = new StringBuilder();
        int snapshots;
        await using (var cluster = await StartAsync())
        {
            var log = cluster[0].Core.Keyspace.Log!;
            await using var resp = await RespTestClient.ConnectAsync(RespCluster.RespOf(cluster, 0));
            var done = 0;
            var snapshotter = Task.Run(async () =>
            {
                var taken = 0;
                while (Volatile.Read(ref done) == 0 && taken < 40)
                {
                    if (log.TryStartSnapshot(out var snapshot))
                    {
                        await snapshot.WaitAsync(Bounded.Timeout);
                        taken++;
                    }
                    await Task.Delay(5);
                }
                return taken;
            });
            for (var i = 0; i < Writes; i++)
            {
                Assert.Equal($":{i + 1}\r\n", await resp.CallAsync("RPUSH", "list", $"element-{i}"));
                Assert.Equal($":{i + 1}\r\n", await resp.CallAsync("LPUSH", "head", $"h{i}"));
                appended.Append(i).Append(',');
                Assert.Equal($":{appended.Length}\r\n", await resp.CallAsync("APPEND", "text", $"{i},"));
                Assert.Equal(":0\r\n", await resp.CallAsync("SETBIT", "bits", (i * 7).ToString(), "1"));
                if (i % 50 == 49)
                    Assert.Equal(":1\r\n", await resp.CallAsync("EXPIRE", "list", (100_000 + i).ToString())); // the pushes go on as changes
            }
            // Several elements at once, and the X forms: Redis's order and answers.
            Assert.Equal(":2\r\n", await resp.CallAsync("RPUSH", "multi", "a", "b"));
            Assert.Equal(":5\r\n", await resp.CallAsync("LPUSH", "multi", "x", "y", "z"));
            Assert.Equal(":6\r\n", await resp.CallAsync("RPUSHX", "multi", "c"));
            Assert.Equal(":0\r\n", await resp.CallAsync("LPUSHX", "absent", "q"));
            Assert.Equal(RespArray(["z", "y", "x", "a", "b", "c"]), await resp.CallAsync("LRANGE", "multi", "0", "-1"));
            Volatile.Write(ref done, 1);
            snapshots = await snapshotter.WaitAsync(Bounded.Timeout);

            // One more element of a list of 300, right after an EXPIRE, costs the log a record of its delta: a few dozen
            // bytes, not the 4 KB list.
            Assert.Equal(":1\r\n", await resp.CallAsync("EXPIRE", "list", "200000"));
            var before = log.AppendedPosition;
            Assert.Equal($":{Writes + 1}\r\n", await resp.CallAsync("RPUSH", "list", "one-more"));
            var logged = log.AppendedPosition - before;
            Assert.True(logged < 100, $"one RPUSH to a list of {Writes} logged {logged} bytes");
        }
        Assert.True(snapshots > 0);

        await using var restarted = await StartAsync();
        await using var check = await RespTestClient.ConnectAsync(RespCluster.RespOf(restarted, 0));
        Assert.Equal(RespArray(Enumerable.Range(0, Writes).Select(i => $"element-{i}").Append("one-more")), await check.CallAsync("LRANGE", "list", "0", "-1"));
        Assert.Equal(RespArray(Enumerable.Range(0, Writes).Reverse().Select(i => $"h{i}")), await check.CallAsync("LRANGE", "head", "0", "-1"));
        Assert.Equal(Bulk(appended.ToString()), await check.CallAsync("GET", "text"));
        Assert.Equal(RespArray(["z", "y", "x", "a", "b", "c"]), await check.CallAsync("LRANGE", "multi", "0", "-1"));
        Assert.Equal(":0\r\n", await check.CallAsync("EXISTS", "absent"));
        var ttlReply = await check.CallAsync("TTL", "list");
        var ttl = long.Parse(ttlReply[1..^2]);
        Assert.InRange(ttl, 199_000, 200_000); // the last EXPIRE, not an older one
        Assert.Equal($":{Writes}\r\n", await check.CallAsync("BITCOUNT", "bits"));
        Assert.Equal(":1\r\n", await check.CallAsync("GETBIT", "bits", ((Writes - 1) * 7).ToString()));
    }
}
