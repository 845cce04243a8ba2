using System.Buffers;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Protocol;

namespace FastDht.Engine.UnitTests;

/// <summary>Every request the node sends announces the length it writes (the one FrameLengths computation both use).</summary>
public sealed class FrameLengthTests
{
    private static readonly ReadOnlyMemory<byte> Key = "some-key"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Value = new byte[300];
    private static readonly TxnId Txn = new(1000, 1, 7);

    private static void AssertWritesItsLength<TRequest>(TRequest request)
        where TRequest : struct, IFrameRequest
    {
        var buffer = new ArrayBufferWriter<byte>();
        request.Write(buffer, 1);
        Assert.Equal(buffer.WrittenCount, request.FrameLength);
    }

    [Fact]
    public void Each_request_writes_exactly_the_frame_length_it_announces()
    {
        ReadOnlyMemory<byte>[] keys = [Key, "k2"u8.ToArray()];
        AssertWritesItsLength(new GetRequest(Key));
        AssertWritesItsLength(new PutRequest(Key, Value, ifAbsent: false));
        AssertWritesItsLength(new PutRequest(Key, Value, ifAbsent: true, timeToLiveMs: 5000));
        AssertWritesItsLength(new DeleteRequest(Key));
        AssertWritesItsLength(new PingRequest("ping"u8.ToArray()));
        AssertWritesItsLength(new ClientHelloRequest("cluster-é", 1 << 20));
        AssertWritesItsLength(new ClusterInfoRequest());
        AssertWritesItsLength(new NodeInfoRequest());
        AssertWritesItsLength(new TxnLockRequest(Opcode.Lock, Txn, LockMode.Exclusive, 1000, keys));
        AssertWritesItsLength(new TxnLockRequest(Opcode.TxnLock, Txn, LockMode.Shared, 1000, keys, 3));
        AssertWritesItsLength(new TxnWaitsForRequest());
        AssertWritesItsLength(new TxnIdRequest(Opcode.TxnWound, Txn));
        AssertWritesItsLength(new TxnAttemptRequest(Opcode.TxnCommit, Txn, 2));
        AssertWritesItsLength(new TxnPrepareRequest(Txn, 2, 9, [new TxnMember(0, 1), new TxnMember(1, 2)],
            [new TxnWrite(Key, Value, 5), new TxnWrite("k2"u8.ToArray(), ReadOnlyMemory<byte>.Empty, 6)]));
        AssertWritesItsLength(new TxnKeysRequest(Opcode.TxnRead, Txn, 0, keys));
        AssertWritesItsLength(new TxnKeysRequest(Opcode.RenewLease, Txn, 1000, keys));
        AssertWritesItsLength(new TxnKeysRequest(Opcode.Unlock, Txn, 0, keys));
        AssertWritesItsLength(new MultiPutRequest([new KeyValue(Key, Value), new KeyValue("k2"u8.ToArray(), Value)]));
        AssertWritesItsLength(new MultiGetRequest(keys));
        AssertWritesItsLength(new FencedPutRequest(Key, Value, 42));
        AssertWritesItsLength(new RespExecuteRequest([2, 1, 2, 3]));
        AssertWritesItsLength(new PasswordAuthRequest("user", "pässword"));
    }
}
