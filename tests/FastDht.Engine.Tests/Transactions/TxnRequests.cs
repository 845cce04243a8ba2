using FastDht.Protocol;
using FastDht.TestUtilities;

namespace FastDht.Engine.Tests.Transactions;

/// <summary>Transaction requests over the raw test client.</summary>
internal static class TxnRequests
{
    private static uint _sequence;

    /// <summary>A client-chosen id for an explicit Lock: it names the node it is sent to as coordinator.</summary>
    public static TxnId NewTxn(int node) =>
        new((ulong)(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000), (ushort)node, Interlocked.Increment(ref _sequence));

    public static Task<RawResponse> MultiPutAsync(this NativeTestClient c, byte[][] keys, byte[] value) =>
        c.RequestAsync((w, id) => FrameWriter.WriteMultiPut(w, id, Array.ConvertAll(keys, k => new KeyValue(k, value))));

    public static async Task<byte[]?[]> MultiGetAsync(this NativeTestClient c, byte[][] keys)
    {
        var r = await c.RequestAsync((w, id) => FrameWriter.WriteMultiGet(w, id, Array.ConvertAll(keys, k => (ReadOnlyMemory<byte>)k)));
        Assert.True(r.Status == StatusCode.Ok, $"MultiGet: {r.Status} {r.ErrorMessage}");
        Assert.True(ResponseDecoder.TryReadMultiGet(r.Body, out var list, out _));
        var values = new List<byte[]?>();
        foreach (var e in list)
            values.Add(e.Present ? e.Value.ToArray() : null);
        return values.ToArray();
    }

    public static Task<RawResponse> LockAsync(this NativeTestClient c, TxnId txn, byte[][] keys, uint leaseMs, LockMode mode = LockMode.Exclusive) =>
        c.RequestAsync((w, id) => FrameWriter.WriteLock(w, id, txn, mode, leaseMs, Array.ConvertAll(keys, k => (ReadOnlyMemory<byte>)k)));

    public static Task<RawResponse> UnlockAsync(this NativeTestClient c, TxnId txn, byte[][] keys) =>
        c.RequestAsync((w, id) => FrameWriter.WriteUnlock(w, id, txn, Array.ConvertAll(keys, k => (ReadOnlyMemory<byte>)k)));

    public static Task<RawResponse> RenewAsync(this NativeTestClient c, TxnId txn, byte[][] keys, uint leaseMs) =>
        c.RequestAsync((w, id) => FrameWriter.WriteRenewLease(w, id, txn, leaseMs, Array.ConvertAll(keys, k => (ReadOnlyMemory<byte>)k)));

    public static Task<RawResponse> FencedPutAsync(this NativeTestClient c, byte[] key, byte[] value, ulong token) =>
        c.RequestAsync((w, id) => FrameWriter.WritePut(w, id, key, value, token));

    public static ulong[] Tokens(this RawResponse r)
    {
        Assert.True(r.Status == StatusCode.Ok, $"Lock: {r.Status} {r.ErrorMessage}");
        Assert.True(ResponseDecoder.TryReadTokens(r.Body, out var tokens, out _));
        var result = new ulong[tokens.Count];
        for (var i = 0; i < result.Length; i++)
            result[i] = tokens[i];
        return result;
    }

    public static uint Attempts(this RawResponse r)
    {
        Assert.True(ResponseDecoder.TryReadMultiPut(r.Body, out var attempts, out _));
        return attempts;
    }
}
