using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Resp;

/// <summary>
/// Commands pipelined on one connection take effect in the order sent, even when an earlier one is a transaction
/// (MSET, MSETNX, MGET) still taking its locks and the key's owner is another node.
/// </summary>
public sealed class RespPipelineOrderTests(RespClusterFixture fixture) : IClassFixture<RespClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    // 10 rounds per owner: the old code lost the race most of the time, so a regression shows at once.
    private const int Rounds = 10;

    public static TheoryData<int> Owners => [0, 1, 2];

    [Theory]
    [MemberData(nameof(Owners))]
    public async Task A_set_after_an_mset_wins(int owner)
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        for (var round = 0; round < Rounds; round++)
        {
            var key = RespCluster.KeyOwnedBy(Cluster, owner, $"po-set{round}");
            var replies = await PipelineAsync(c, ["MSET", key, "1"], ["SET", key, "2"], ["GET", key]);
            Assert.Equal(["+OK\r\n", "+OK\r\n", "$1\r\n2\r\n"], replies);
        }
    }

    [Theory]
    [MemberData(nameof(Owners))]
    public async Task A_del_after_an_mset_deletes(int owner)
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        for (var round = 0; round < Rounds; round++)
        {
            var key = RespCluster.KeyOwnedBy(Cluster, owner, $"po-del{round}");
            var replies = await PipelineAsync(c, ["MSET", key, "10"], ["DEL", key], ["EXISTS", key]);
            Assert.Equal(["+OK\r\n", ":1\r\n", ":0\r\n"], replies);
        }
    }

    [Theory]
    [MemberData(nameof(Owners))]
    public async Task An_mget_does_not_see_a_later_set(int owner)
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        for (var round = 0; round < Rounds; round++)
        {
            var key = RespCluster.KeyOwnedBy(Cluster, owner, $"po-mget{round}");
            Assert.Equal("+OK\r\n", await c.CallAsync("SET", key, "0"));
            var replies = await PipelineAsync(c, ["MGET", key], ["SET", key, "1"], ["GET", key]);
            Assert.Equal(["*1\r\n$1\r\n0\r\n", "+OK\r\n", "$1\r\n1\r\n"], replies);
        }
    }

    [Theory]
    [MemberData(nameof(Owners))]
    public async Task An_incr_after_an_mset_is_not_lost(int owner)
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        for (var round = 0; round < Rounds; round++)
        {
            var key = RespCluster.KeyOwnedBy(Cluster, owner, $"po-incr{round}");
            var replies = await PipelineAsync(c, ["MSET", key, "1"], ["INCR", key], ["GET", key]);
            Assert.Equal(["+OK\r\n", ":2\r\n", "$1\r\n2\r\n"], replies);
        }
    }

    [Theory]
    [MemberData(nameof(Owners))]
    public async Task A_get_after_an_msetnx_sees_it(int owner)
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        for (var round = 0; round < Rounds; round++)
        {
            var key = RespCluster.KeyOwnedBy(Cluster, owner, $"po-nx{round}");
            var replies = await PipelineAsync(c, ["MSETNX", key, "1"], ["GET", key]);
            Assert.Equal([":1\r\n", "$1\r\n1\r\n"], replies);
        }
    }

    [Fact]
    public async Task Commands_on_other_keys_are_not_held_back_and_replies_stay_in_order()
    {
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 1));
        var a = RespCluster.KeyOwnedBy(Cluster, 0, "po-other");
        var b = RespCluster.KeyOwnedBy(Cluster, 2, "po-other");
        var replies = await PipelineAsync(c, ["MSET", a, "1", b, "1"], ["SET", "po-unrelated", "x"], ["MGET", a, b], ["SET", a, "2"], ["MGET", a, b]);
        Assert.Equal(["+OK\r\n", "+OK\r\n", "*2\r\n$1\r\n1\r\n$1\r\n1\r\n", "+OK\r\n", "*2\r\n$1\r\n2\r\n$1\r\n1\r\n"], replies);
    }

    [Theory]
    [MemberData(nameof(Owners))]
    public async Task A_transaction_holding_node_commands_keeps_queue_and_pipeline_order(int owner)
    {
        // EXEC with FLUSHALL and DBSIZE between keyed commands runs its queue in order on the read loop; the commands
        // pipelined behind it must neither overtake it nor be overtaken, whichever nodes own the keys.
        await using var c = await RespTestClient.ConnectAsync(RespCluster.RespOf(Cluster, 0));
        for (var round = 0; round < 3; round++)
        {
            var a = RespCluster.KeyOwnedBy(Cluster, owner, $"po-multi-a{round}");
            var b = RespCluster.KeyOwnedBy(Cluster, (owner + 1) % 3, $"po-multi-b{round}");
            var replies = await PipelineAsync(c,
                ["MSET", a, "1", b, "1"], ["MULTI"], ["INCR", a], ["FLUSHALL"], ["MSET", a, "5", b, "6"], ["DBSIZE"], ["EXEC"],
                ["INCR", a], ["MGET", a, b], ["SET", b, "7"], ["GET", b]);
            Assert.Equal(
                ["+OK\r\n", "+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "*4\r\n:2\r\n+OK\r\n+OK\r\n:2\r\n",
                    ":6\r\n", "*2\r\n$1\r\n6\r\n$1\r\n6\r\n", "+OK\r\n", "$1\r\n7\r\n"],
                replies);
        }
    }

    /// <summary>Sends every command in one write (as redis-cli --pipe does), then reads every reply.</summary>
    private static async Task<string[]> PipelineAsync(RespTestClient c, params string[][] commands)
    {
        var text = new System.Text.StringBuilder();
        foreach (var command in commands)
            text.Append(RespTestClient.Encode(command));
        await c.SendAsync(text.ToString());
        var replies = new string[commands.Length];
        for (var i = 0; i < replies.Length; i++)
            replies[i] = await c.ReadReplyAsync();
        return replies;
    }
}
