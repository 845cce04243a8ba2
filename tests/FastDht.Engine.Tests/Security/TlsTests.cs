using System.Net.Security;
using FastDht.Engine.Client;
using FastDht.Engine.Resp.Internal;
using FastDht.Engine.Tests.Resp;
using FastDht.Protocol;
using FastDht.TestUtilities;
using StackExchange.Redis;

namespace FastDht.Engine.Tests.Security;

/// <summary>TLS on every listener and peer link: the smart client, StackExchange.Redis with ssl=true and redis-cli --tls work; plain TCP and foreign certificates do not.</summary>
public sealed class TlsTests
{
    private static async Task<(TestCluster Cluster, TestCertificates Certificates)> StartAsync(int nodes = 3, bool requirePeerCertificates = false)
    {
        var certificates = TestCertificates.Create();
        var cluster = await RespCluster.StartAsync(nodes, o => o.Tls = certificates.NodeTls(requirePeerCertificates));
        return (cluster, certificates);
    }

    private static SslClientAuthenticationOptions ClientTls(TestCertificates certificates) => new()
    {
        RemoteCertificateValidationCallback = (_, certificate, _, _) => certificates.Trusts(certificate),
    };

    [Fact]
    public async Task The_smart_client_works_over_TLS_across_TLS_peer_links_and_plain_TCP_gets_nothing()
    {
        var (cluster, certificates) = await StartAsync();
        await using var _ = cluster;
        foreach (var link in cluster[0].Core.Mesh.Links)
            Assert.True(link.Connection.IsTls);

        var options = new DhtClientOptions { ClusterName = TestCluster.ClusterName, Tls = ClientTls(certificates) };
        options.Seeds.Add(cluster.EndPointOf(0).ToString());
        await using (var client = await DhtClient.ConnectAsync(options))
        {
            for (var i = 0; i < 30; i++)
                await client.PutAsync($"tls:{i}", $"v{i}");
            Assert.Equal("v17", await client.GetStringAsync("tls:17"));
        }

        // A plain-TCP client's Hello is not TLS: the node drops the connection without an answer.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var plain = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        });

        // A client that trusts another authority refuses the node's certificate.
        var stranger = TestCertificates.Create("another CA");
        var wrong = new DhtClientOptions { ClusterName = TestCluster.ClusterName, Tls = ClientTls(stranger) };
        wrong.Seeds.Add(cluster.EndPointOf(0).ToString());
        await Assert.ThrowsAnyAsync<DhtException>(async () => await (await DhtClient.ConnectAsync(wrong)).GetStringAsync("tls:1"));
    }

    [Fact]
    public async Task StackExchange_Redis_with_ssl_true_works_across_the_cluster()
    {
        var (cluster, certificates) = await StartAsync();
        await using var _ = cluster;
        var ep = RespCluster.RespOf(cluster, 0);
        var options = new ConfigurationOptions
        {
            EndPoints = { { ep.Address.ToString(), ep.Port } },
            Ssl = true,
            SslHost = "localhost",
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
            AsyncTimeout = 10_000,
        };
        options.CertificateValidation += (_, certificate, _, _) => certificates.Trusts(certificate);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options).WithinAsync("StackExchange.Redis to connect over TLS");
        Assert.Equal(3, redis.GetEndPoints().Length);
        var db = redis.GetDatabase();
        var owners = new HashSet<ushort>();
        for (var i = 0; i < 30; i++)
        {
            owners.Add(cluster.OwnerOf(System.Text.Encoding.UTF8.GetBytes($"se:{i}")));
            Assert.True(await db.StringSetAsync($"se:{i}", $"v{i}"));
            Assert.Equal($"v{i}", (string?)await db.StringGetAsync($"se:{i}"));
        }
        Assert.Equal(3, owners.Count);
    }

    [Fact]
    public async Task Large_values_and_pipelined_batches_cross_TLS_whole_and_in_order()
    {
        // A 1 MiB value spans many TLS records and pipe segments both ways (the send loop gathers segments into records);
        // 500 commands sent without waiting come back as one stream of replies, each to its own command.
        var (cluster, certificates) = await StartAsync(1);
        await using var _ = cluster;
        var ep = RespCluster.RespOf(cluster, 0);
        var options = new ConfigurationOptions
        {
            EndPoints = { { ep.Address.ToString(), ep.Port } },
            Ssl = true,
            SslHost = "localhost",
            ConnectTimeout = 10_000,
            SyncTimeout = 10_000,
            AsyncTimeout = 10_000,
        };
        options.CertificateValidation += (_, certificate, _, _) => certificates.Trusts(certificate);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options).WithinAsync("StackExchange.Redis to connect over TLS");
        var db = redis.GetDatabase();

        var big = new byte[1 << 20];
        new Random(7).NextBytes(big);
        Assert.True(await db.StringSetAsync("tls:big", big));
        Assert.Equal(big, (byte[]?)await db.StringGetAsync("tls:big"));

        var sets = new Task<bool>[500];
        for (var i = 0; i < sets.Length; i++)
            sets[i] = db.StringSetAsync($"tls:p{i}", $"v{i}");
        Assert.All(await Task.WhenAll(sets).WithinAsync("500 pipelined SETs over TLS"), Assert.True);
        var gets = new Task<RedisValue>[500];
        for (var i = 0; i < gets.Length; i++)
            gets[i] = db.StringGetAsync($"tls:p{i}");
        var values = await Task.WhenAll(gets).WithinAsync("500 pipelined GETs over TLS");
        for (var i = 0; i < values.Length; i++)
            Assert.Equal($"v{i}", (string?)values[i]);
    }

    [RedisCliFact]
    public async Task Redis_cli_with_tls_sets_and_gets_keys()
    {
        var (cluster, certificates) = await StartAsync(1);
        await using var _ = cluster;
        var directory = Directory.CreateTempSubdirectory("trust-tls-");
        try
        {
            var ca = certificates.WriteAuthorityPem(directory.FullName);
            var port = RespCluster.RespOf(cluster, 0).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal("OK", await RedisCliTests.RunAsync("--tls", "--cacert", ca, "-p", port, "SET", "cli", "over tls"));
            Assert.Equal("over tls", await RedisCliTests.RunAsync("--tls", "--cacert", ca, "-p", port, "GET", "cli"));
            // Without --tls the node's TLS port answers nothing redis-cli can read.
            Assert.NotEqual("OK", await RedisCliTests.RunAsync("-p", port, "SET", "cli", "plain"));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task With_mutual_TLS_a_node_whose_certificate_another_authority_signed_cannot_join()
    {
        var (cluster, certificates) = await StartAsync(2, requirePeerCertificates: true);
        await using var _ = cluster;
        Assert.True(cluster[0].Core.Mesh.IsUp(1));
        await cluster.StopNodeAsync(1);
        var stranger = TestCertificates.Create("another CA");
        var options = cluster.OptionsFor(1);
        // The right secret, a certificate the cluster's authority never signed (trusting the cluster's, to get that far).
        options.Tls = new Engine.Security.TlsOptions { Certificate = stranger.Issue(), TrustedAuthorities = [certificates.Authority], RequirePeerCertificates = true };
        await using var impostor = await Engine.Node.DhtNode.StartAsync(options);
        await Bounded.UntilAsync(() => impostor.Core.Mesh.LastRefusal(0) is not null, "node 0 refuses the impostor's TLS");
        Assert.False(cluster[0].Core.Mesh.IsUp(1));
    }
}
