using System.Buffers;
using FastDht.Engine.Client;
using FastDht.Engine.Security;
using FastDht.Engine.Tests.Transactions;
using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Security;

/// <summary>Native-protocol clients of a node with users: nothing before Auth, wrong credentials change nothing, users' rules hold.</summary>
public sealed class NativeAuthenticationTests
{
    private const string Password = "correct horse battery staple";
    private static readonly byte[] Key = "guarded"u8.ToArray();
    private static readonly byte[] Original = "original"u8.ToArray();

    /// <summary>Every opcode byte but Auth: defined ones (with a body that would change the guarded key where they can) and undefined ones.</summary>
    private static IEnumerable<byte> EveryOpcodeButAuth()
    {
        for (var b = 0; b < 256; b++)
        {
            if (b != (byte)Opcode.Auth)
                yield return (byte)b;
        }
    }

    private static Task<TestCluster> StartAsync(Action<Engine.Node.NodeOptions>? more = null) =>
        TestCluster.StartAsync(1, o =>
        {
            o.Users = UserDirectory.WithDefaultPassword(Password);
            more?.Invoke(o);
        });

    private static void WriteAttempt(IBufferWriter<byte> w, uint id, byte opcode)
    {
        ReadOnlyMemory<byte>[] keys = [Key];
        switch ((Opcode)opcode)
        {
            case Opcode.Get: FrameWriter.WriteGet(w, id, Key); break;
            case Opcode.Put: FrameWriter.WritePut(w, id, Key, "evil"u8); break;
            case Opcode.PutIfAbsent: FrameWriter.WritePutIfAbsent(w, id, Key, "evil"u8); break;
            case Opcode.Delete: FrameWriter.WriteDelete(w, id, Key); break;
            case Opcode.MultiPut: FrameWriter.WriteMultiPut(w, id, [new KeyValue(Key, "evil"u8.ToArray())]); break;
            case Opcode.MultiGet: FrameWriter.WriteMultiGet(w, id, keys); break;
            case Opcode.Lock: FrameWriter.WriteLock(w, id, TxnRequests.NewTxn(0), LockMode.Exclusive, 60_000, keys); break;
            case Opcode.Hello: FrameWriter.WriteHello(w, id, NodeRole.Client, ProtocolConstants.ClientNodeId, TestCluster.ClusterName, "", 1 << 20); break;
            case Opcode.Ping: FrameWriter.WritePing(w, id, "x"u8); break;
            default: FrameWriter.WriteFrame(w, id, (Opcode)opcode, FrameFlags.None, StatusCode.Ok, default); break;
        }
    }

    [Fact]
    public async Task Before_authentication_every_opcode_is_answered_AuthRequired_and_changes_nothing()
    {
        await using var cluster = await StartAsync();
        using var owner = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal(StatusCode.Ok, (await owner.AuthAsync("default", Password)).Status);
        Assert.Equal(StatusCode.Ok, (await owner.PutAsync(Key, Original)).Status);

        foreach (var code in EveryOpcodeButAuth())
        {
            using var anonymous = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
            var refused = await anonymous.RequestAsync((w, id) => WriteAttempt(w, id, code));
            Assert.True(refused.Status == StatusCode.AuthRequired, $"opcode 0x{code:x2}: {refused.Status} {refused.ErrorMessage}");
            Assert.StartsWith("NOAUTH", refused.ErrorMessage, StringComparison.Ordinal);
            // With a wrong password too: still nothing but AuthRequired.
            Assert.Equal(StatusCode.AuthFailed, (await anonymous.AuthAsync("default", "wrong")).Status);
            Assert.Equal(StatusCode.AuthRequired, (await anonymous.RequestAsync((w, id) => WriteAttempt(w, id, code))).Status);
        }

        Assert.Equal(Original, (await owner.GetAsync(Key)).Value);
        // The owner can still lock the key, so nobody else holds it.
        var txn = TxnRequests.NewTxn(0);
        Assert.Single((await owner.LockAsync(txn, [Key], 60_000)).Tokens());
        Assert.Equal(StatusCode.Ok, (await owner.UnlockAsync(txn, [Key])).Status);
    }

    [Fact]
    public async Task Wrong_credentials_are_refused_and_the_right_ones_then_open_the_connection()
    {
        await using var cluster = await StartAsync(o => o.Users!.SetUser("alice", ["on", ">alice-pw", "~*", "+@all"]));
        using var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal(StatusCode.AuthFailed, (await c.AuthAsync("default", "nope")).Status);
        Assert.Equal(StatusCode.AuthFailed, (await c.AuthAsync("alice", Password)).Status); // another user's password
        Assert.Equal(StatusCode.AuthFailed, (await c.AuthAsync("mallory", "alice-pw")).Status); // no such user
        Assert.Equal(StatusCode.AuthRequired, (await c.PutAsync(Key, "evil"u8.ToArray())).Status);
        Assert.Equal(StatusCode.Ok, (await c.AuthAsync("alice", "alice-pw")).Status);
        Assert.Equal(StatusCode.Ok, (await c.PutAsync(Key, Original)).Status);
        Assert.Equal(Original, (await c.GetAsync(Key)).Value);
    }

    [Fact]
    public async Task An_unauthenticated_connection_is_closed_at_the_handshake_timeout()
    {
        await using var cluster = await StartAsync(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        using var c = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.True(await c.IsClosedByNodeAsync());
    }

    [Fact]
    public async Task A_read_only_user_with_a_key_prefix_reads_its_keys_and_nothing_else()
    {
        await using var cluster = await StartAsync(o => o.Users!.SetUser("reader", ["on", ">reader-pw", "~app:*", "+@read"]));
        using var admin = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal(StatusCode.Ok, (await admin.AuthAsync("default", Password)).Status);
        var mine = "app:1"u8.ToArray();
        var other = "secret:1"u8.ToArray();
        Assert.Equal(StatusCode.Ok, (await admin.PutAsync(mine, Original)).Status);
        Assert.Equal(StatusCode.Ok, (await admin.PutAsync(other, Original)).Status);

        using var reader = await NativeTestClient.ConnectAsync(cluster.EndPointOf(0));
        Assert.Equal(StatusCode.Ok, (await reader.AuthAsync("reader", "reader-pw")).Status);
        Assert.Equal(Original, (await reader.GetAsync(mine)).Value);
        Assert.Equal([Original], await reader.MultiGetAsync([mine]));
        Assert.Equal(StatusCode.NoPermission, (await reader.GetAsync(other)).Status);
        Assert.Equal(StatusCode.NoPermission, (await reader.RequestAsync((w, id) => FrameWriter.WriteMultiGet(w, id, [mine, other]))).Status);
        Assert.Equal(StatusCode.NoPermission, (await reader.PutAsync(mine, "evil"u8.ToArray())).Status);
        Assert.Equal(StatusCode.NoPermission, (await reader.DeleteAsync(mine)).Status);
        Assert.Equal(StatusCode.NoPermission, (await reader.MultiPutAsync([mine], "evil"u8.ToArray())).Status);
        Assert.Equal(StatusCode.NoPermission, (await reader.LockAsync(TxnRequests.NewTxn(0), [mine], 60_000)).Status);
        Assert.Equal(Original, (await admin.GetAsync(mine)).Value);

        // Rules changed at run time apply to the open session; a deleted user's session can do nothing more.
        cluster[0].Core.Options.Users!.SetUser("reader", ["+@write"]);
        Assert.Equal(StatusCode.Ok, (await reader.PutAsync(mine, "now allowed"u8.ToArray())).Status);
        cluster[0].Core.Options.Users!.DeleteUsers(["reader"]);
        Assert.Equal(StatusCode.AuthRequired, (await reader.GetAsync(mine)).Status);
    }

    [Fact]
    public async Task The_smart_client_authenticates_each_connection_and_fails_clearly_without_the_password()
    {
        await using var cluster = await TestCluster.StartAsync(3, o => o.Users = UserDirectory.WithDefaultPassword(Password));
        var options = new DhtClientOptions { Password = Password };
        options.Seeds.Add(cluster.EndPointOf(0).ToString());
        options.ClusterName = TestCluster.ClusterName;
        await using (var client = await DhtClient.ConnectAsync(options))
        {
            for (var i = 0; i < 30; i++)
                await client.PutAsync($"k{i}", "v");
            Assert.Equal("v", await client.GetStringAsync("k7"));
        }

        var wrong = new DhtClientOptions { Password = "wrong", ClusterName = TestCluster.ClusterName };
        wrong.Seeds.Add(cluster.EndPointOf(0).ToString());
        var e = await Assert.ThrowsAnyAsync<DhtException>(async () => await (await DhtClient.ConnectAsync(wrong)).GetStringAsync("k1"));
        Assert.Contains("refused user 'default'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", e.Message.Replace("wrong user", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
