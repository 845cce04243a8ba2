using System.Text;
using CsCheck;
using FastDht.Protocol.Tests.Infrastructure;

namespace FastDht.Protocol.Tests;

/// <summary>Encode, then decode (whole and one byte per segment), then compare every field.</summary>
public class RoundTripTests
{
    private static readonly Gen<byte[]> GenKey = Gen.Byte.Array[1, 40];
    private static readonly Gen<byte[]> GenValue = Gen.Byte.Array[0, 300];
    private static readonly Gen<byte[][]> GenKeys = GenKey.Array[1, 6];
    private static readonly Gen<TxnId> GenTxn = Gen.Select(Gen.ULong, Gen.UShort, Gen.UInt).Select(t => new TxnId(t.Item1, t.Item2, t.Item3));
    private static readonly Gen<string> GenName = Gen.String[Gen.Char['a', 'z'], 0, 20];

    private static (FrameHeader Header, byte[] Body) Decode(byte[] bytes)
    {
        var whole = Wire.ReadSingle(bytes);
        var fragmented = Wire.ReadSingle(Segments.BytePerSegment(bytes));
        Assert.Equal(whole.Body, fragmented.Body);
        Assert.Equal(whole.Header.RequestId, fragmented.Header.RequestId);
        Assert.Equal(bytes.Length, whole.Header.FrameLength);
        return whole;
    }

    private static void AssertRequest(FrameHeader h, uint id, Opcode op, FrameFlags flags = FrameFlags.None)
    {
        Assert.Equal(id, h.RequestId);
        Assert.Equal(op, h.Opcode);
        Assert.Equal(flags, h.Flags);
        Assert.Equal(StatusCode.Ok, h.Status);
        Assert.False(h.IsResponse);
        Assert.True(RequestDecoder.TryValidateHeader(h, out _));
    }

    private static void AssertResponse(FrameHeader h, uint id, Opcode op, StatusCode status = StatusCode.Ok)
    {
        Assert.Equal(id, h.RequestId);
        Assert.Equal(op, h.Opcode);
        Assert.True(h.IsResponse);
        Assert.Equal(status, h.Status);
    }

    private static ReadOnlyMemory<byte>[] Mem(byte[][] keys) => Array.ConvertAll(keys, k => (ReadOnlyMemory<byte>)k);

    [Fact]
    public void Get() => Gen.Select(Gen.UInt, GenKey).Sample(t =>
    {
        var (id, key) = t;
        var (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteGet(w, id, key)));
        AssertRequest(h, id, Opcode.Get);
        Assert.True(RequestDecoder.TryReadGet(body, ProtocolLimits.Default, out var k, out _));
        Assert.Equal(key, k.ToArray());
    });

    [Fact]
    public void Put_PutIfAbsent_and_fenced_Put() => Gen.Select(Gen.UInt, GenKey, GenValue, Gen.ULong).Sample(t =>
    {
        var (id, key, value, fence) = t;
        var (h, body) = Decode(Wire.Encode(w => FrameWriter.WritePut(w, id, key, value)));
        AssertRequest(h, id, Opcode.Put);
        Assert.True(RequestDecoder.TryReadPut(body, h.Flags, ProtocolLimits.Default, out var k, out var v, out var f, out _));
        Assert.Equal(key, k.ToArray());
        Assert.Equal(value, v.ToArray());
        Assert.Null(f);

        (h, body) = Decode(Wire.Encode(w => FrameWriter.WritePut(w, id, key, value, fence)));
        AssertRequest(h, id, Opcode.Put, FrameFlags.Fenced);
        Assert.True(RequestDecoder.TryReadPut(body, h.Flags, ProtocolLimits.Default, out k, out v, out f, out _));
        Assert.Equal(key, k.ToArray());
        Assert.Equal(value, v.ToArray());
        Assert.Equal(fence, f);

        var ttl = (fence % ProtocolConstants.MaxTimeToLiveMs) + 1;
        (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteKeyValue(w, id, Opcode.Put, key, value, FrameFlags.Routed, ttl)));
        AssertRequest(h, id, Opcode.Put, FrameFlags.Routed | FrameFlags.Expires);
        Assert.True(RequestDecoder.TryReadPut(body, h.Flags, ProtocolLimits.Default, out k, out v, out var timeToLive, out f, out _));
        Assert.Equal(key, k.ToArray());
        Assert.Equal(value, v.ToArray());
        Assert.Equal((long)ttl, timeToLive);
        Assert.Null(f);

        (h, body) = Decode(Wire.Encode(w => FrameWriter.WritePutIfAbsent(w, id, key, value)));
        AssertRequest(h, id, Opcode.PutIfAbsent);
        Assert.True(RequestDecoder.TryReadPut(body, h.Flags, ProtocolLimits.Default, out k, out v, out f, out _));
        Assert.Equal(key, k.ToArray());
        Assert.Equal(value, v.ToArray());
        Assert.Null(f);
    });

    [Fact]
    public void Delete_and_fenced_Delete() => Gen.Select(Gen.UInt, GenKey, Gen.ULong).Sample(t =>
    {
        var (id, key, fence) = t;
        var (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteDelete(w, id, key)));
        AssertRequest(h, id, Opcode.Delete);
        Assert.True(RequestDecoder.TryReadDelete(body, h.Flags, ProtocolLimits.Default, out var k, out var f, out _));
        Assert.Equal(key, k.ToArray());
        Assert.Null(f);

        (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteDelete(w, id, key, fence)));
        AssertRequest(h, id, Opcode.Delete, FrameFlags.Fenced);
        Assert.True(RequestDecoder.TryReadDelete(body, h.Flags, ProtocolLimits.Default, out k, out f, out _));
        Assert.Equal(key, k.ToArray());
        Assert.Equal(fence, f);
    });

    [Fact]
    public void MultiPut() => Gen.Select(Gen.UInt, Gen.Select(GenKey, GenValue).Array[1, 6]).Sample(t =>
    {
        var (id, pairs) = t;
        var entries = Array.ConvertAll(pairs, p => new KeyValue(p.Item1, p.Item2));
        var (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteMultiPut(w, id, entries)));
        AssertRequest(h, id, Opcode.MultiPut);
        Assert.True(RequestDecoder.TryReadMultiPut(body, ProtocolLimits.Default, out var list, out _));
        Assert.Equal(pairs.Length, list.Count);
        int i = 0;
        foreach (var e in list)
        {
            Assert.Equal(pairs[i].Item1, e.Key.ToArray());
            Assert.Equal(pairs[i].Item2, e.Value.ToArray());
            i++;
        }

        Assert.Equal(pairs.Length, i);
    });

    [Fact]
    public void MultiGet_request_and_response() => Gen.Select(Gen.UInt, GenKeys, Gen.Select(Gen.Bool, GenValue).Array[0, 6]).Sample(t =>
    {
        var (id, keys, results) = t;
        var (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteMultiGet(w, id, Mem(keys))));
        AssertRequest(h, id, Opcode.MultiGet);
        Assert.True(RequestDecoder.TryReadMultiGet(body, ProtocolLimits.Default, out var list, out _));
        AssertKeys(keys, list);

        var lookups = Array.ConvertAll(results, r => r.Item1 ? new LookupResult(r.Item2) : LookupResult.Absent);
        (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteMultiGetResponse(w, id, lookups)));
        AssertResponse(h, id, Opcode.MultiGet);
        Assert.True(ResponseDecoder.TryReadMultiGet(body, out var decoded, out _));
        Assert.Equal(results.Length, decoded.Count);
        int i = 0;
        foreach (var e in decoded)
        {
            Assert.Equal(results[i].Item1, e.Present);
            Assert.Equal(results[i].Item1 ? results[i].Item2 : [], e.Value.ToArray());
            i++;
        }

        Assert.Equal(results.Length, i);
    });

    [Fact]
    public void Lock_TxnLock_and_tokens() => Gen.Select(Gen.UInt, GenTxn, Gen.Enum<LockMode>(), Gen.UInt, GenKeys, Gen.ULong.Array[0, 6]).Sample(t =>
    {
        var (id, txn, mode, lease, keys, tokens) = t;
        foreach (Opcode op in new[] { Opcode.Lock, Opcode.TxnLock })
        {
            byte[] bytes = op == Opcode.Lock
                ? Wire.Encode(w => FrameWriter.WriteLock(w, id, txn, mode, lease, Mem(keys)))
                : Wire.Encode(w => FrameWriter.WriteTxnLock(w, id, txn, mode, (ushort)(id % 70000), lease, Mem(keys)));
            var (h, body) = Decode(bytes);
            AssertRequest(h, id, op);
            TxnId tx;
            LockMode m;
            uint l;
            scoped KeyList list;
            if (op == Opcode.Lock)
            {
                Assert.True(RequestDecoder.TryReadLock(body, ProtocolLimits.Default, out tx, out m, out l, out list, out _));
            }
            else
            {
                Assert.True(RequestDecoder.TryReadTxnLock(body, ProtocolLimits.Default, out tx, out m, out var attempt, out l, out list, out _));
                Assert.Equal((ushort)(id % 70000), attempt);
            }
            Assert.Equal(txn, tx);
            Assert.Equal(mode, m);
            Assert.Equal(lease, l);
            AssertKeys(keys, list);

            (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteTokensResponse(w, id, op, tokens)));
            AssertResponse(h, id, op);
            Assert.True(ResponseDecoder.TryReadTokens(body, out var decoded, out _));
            Assert.Equal(tokens.Length, decoded.Count);
            for (int i = 0; i < tokens.Length; i++)
            {
                Assert.Equal(tokens[i], decoded[i]);
            }
        }
    });

    [Fact]
    public void Unlock_and_RenewLease() => Gen.Select(Gen.UInt, GenTxn, Gen.UInt, GenKeys).Sample(t =>
    {
        var (id, txn, lease, keys) = t;
        var (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteUnlock(w, id, txn, Mem(keys))));
        AssertRequest(h, id, Opcode.Unlock);
        Assert.True(RequestDecoder.TryReadUnlock(body, ProtocolLimits.Default, out var tx, out var list, out _));
        Assert.Equal(txn, tx);
        AssertKeys(keys, list);

        (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteRenewLease(w, id, txn, lease, Mem(keys))));
        AssertRequest(h, id, Opcode.RenewLease);
        Assert.True(RequestDecoder.TryReadRenewLease(body, ProtocolLimits.Default, out tx, out var l, out list, out _));
        Assert.Equal(txn, tx);
        Assert.Equal(lease, l);
        AssertKeys(keys, list);
    });

    [Fact]
    public void TxnWound_and_Pin() => Gen.Select(Gen.UInt, GenTxn).Sample(t =>
    {
        var (id, txn) = t;
        foreach (Opcode op in new[] { Opcode.TxnWound, Opcode.TxnPin })
        {
            byte[] bytes = Wire.Encode(w =>
            {
                if (op == Opcode.TxnWound)
                {
                    FrameWriter.WriteTxnWound(w, id, txn);
                }
                else
                {
                    FrameWriter.WriteTxnPin(w, id, txn);
                }
            });
            var (h, body) = Decode(bytes);
            AssertRequest(h, id, op);
            Assert.True(RequestDecoder.TryReadTxnId(body, out var tx, out _));
            Assert.Equal(txn, tx);
        }
    });

    [Fact]
    public void TxnCommit_Abort_Status() => Gen.Select(Gen.UInt, GenTxn, Gen.UShort).Sample(t =>
    {
        var (id, txn, attempt) = t;
        foreach (Opcode op in new[] { Opcode.TxnCommit, Opcode.TxnAbort, Opcode.TxnStatus })
        {
            byte[] bytes = Wire.Encode(w =>
            {
                switch (op)
                {
                    case Opcode.TxnCommit:
                        FrameWriter.WriteTxnCommit(w, id, txn, attempt);
                        break;
                    case Opcode.TxnAbort:
                        FrameWriter.WriteTxnAbort(w, id, txn, attempt);
                        break;
                    default:
                        FrameWriter.WriteTxnStatus(w, id, txn, attempt);
                        break;
                }
            });
            var (h, body) = Decode(bytes);
            AssertRequest(h, id, op);
            Assert.True(RequestDecoder.TryReadTxnAttempt(body, out var tx, out var a, out _));
            Assert.Equal(txn, tx);
            Assert.Equal(attempt, a);
        }
    });

    [Fact]
    public void TxnStatus_response() => Gen.Select(Gen.UInt, Gen.Enum<TxnOutcome>(), Gen.ULong).Sample(t =>
    {
        var (id, outcome, incarnation) = t;
        var (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteTxnStatusResponse(w, id, outcome, incarnation)));
        Assert.Equal(Opcode.TxnStatus, h.Opcode);
        Assert.True(h.IsResponse);
        Assert.True(ResponseDecoder.TryReadTxnStatus(body, out var o, out var inc, out _));
        Assert.Equal(outcome, o);
        Assert.Equal(incarnation, inc);
        Assert.False(ResponseDecoder.TryReadTxnStatus([5, 0, 0, 0, 0, 0, 0, 0, 0], out _, out _, out _));
    });

    [Fact]
    public void TxnPrepare() => Gen.Select(Gen.Select(Gen.UInt, GenTxn, Gen.UShort, Gen.ULong), Gen.Select(Gen.UShort, Gen.ULong).Array[1, 4], Gen.Select(GenKey, GenValue, Gen.ULong, Gen.Bool, Gen.Long).Array[0, 5]).Sample(t =>
    {
        var ((id, txn, attempt, coordinator), members, writes) = t;
        var participants = Array.ConvertAll(members, x => new TxnMember(x.Item1, x.Item2));
        var input = Array.ConvertAll(writes, x => new TxnWrite(x.Item1, x.Item2, x.Item3, x.Item4 ? TxnWriteKind.Delete : TxnWriteKind.Put, x.Item5));
        var (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteTxnPrepare(w, id, txn, attempt, coordinator, participants, input)));
        AssertRequest(h, id, Opcode.TxnPrepare);
        Assert.True(RequestDecoder.TryReadTxnPrepare(body, ProtocolLimits.Default, out var tx, out var a, out var c, out var list, out var writeList, out _));
        Assert.Equal(txn, tx);
        Assert.Equal(attempt, a);
        Assert.Equal(coordinator, c);
        Assert.Equal(members.Length, list.Count);
        for (int m = 0; m < members.Length; m++)
        {
            Assert.Equal(members[m].Item1, list[m].NodeId);
            Assert.Equal(members[m].Item2, list[m].Incarnation);
        }

        Assert.Equal(writes.Length, writeList.Count);
        int i = 0;
        foreach (var e in writeList)
        {
            Assert.Equal(writes[i].Item1, e.Key.ToArray());
            Assert.Equal(writes[i].Item2, e.Value.ToArray());
            Assert.Equal(writes[i].Item3, e.FenceToken);
            Assert.Equal(writes[i].Item4 ? TxnWriteKind.Delete : TxnWriteKind.Put, e.Kind);
            Assert.Equal(writes[i].Item5, e.ExpiresAt);
            i++;
        }

        Assert.Equal(writes.Length, i);
    });

    [Fact]
    public void Hello_request_and_response() => Gen.Select(Gen.UInt, Gen.Enum<NodeRole>(), Gen.UShort, GenName, GenName, Gen.UInt, Gen.ULong).Sample(t =>
    {
        var (id, role, nodeId, cluster, strategy, maxFrame, slotVersion) = t;
        var (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteHello(w, id, role, nodeId, cluster, strategy, maxFrame, slotVersion ^ 0x55, slotVersion + 3)));
        AssertRequest(h, id, Opcode.Hello);
        Assert.True(RequestDecoder.TryReadHello(body, out var hello, out _));
        Assert.Equal(ProtocolConstants.Version, hello.ProtocolVersion);
        Assert.Equal(role, hello.Role);
        Assert.Equal(nodeId, hello.NodeId);
        Assert.Equal(cluster, hello.GetClusterName());
        Assert.Equal(strategy, hello.GetLockStrategy());
        Assert.Equal(maxFrame, hello.MaxFrameSize);
        Assert.Equal(slotVersion ^ 0x55, hello.Incarnation);
        Assert.Equal(slotVersion + 3, hello.MembersDigest);

        (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteHelloResponse(w, id, nodeId, cluster, strategy, maxFrame, slotVersion, slotVersion + 1, slotVersion + 2)));
        AssertResponse(h, id, Opcode.Hello);
        Assert.True(ResponseDecoder.TryReadHello(body, out var resp, out _));
        Assert.Equal(ProtocolConstants.Version, resp.ProtocolVersion);
        Assert.Equal(nodeId, resp.NodeId);
        Assert.Equal(cluster, resp.GetClusterName());
        Assert.Equal(strategy, resp.GetLockStrategy());
        Assert.Equal(maxFrame, resp.MaxFrameSize);
        Assert.Equal(slotVersion, resp.Epoch);
        Assert.Equal(slotVersion + 1, resp.Incarnation);
        Assert.Equal(slotVersion + 2, resp.MembersDigest);
    });

    [Fact]
    public void ClusterInfo_request_and_response() => Gen.Select(Gen.UInt, Gen.ULong, Gen.Int[1, 5]).Sample(t =>
    {
        var (id, version, n) = t;
        var (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteClusterInfo(w, id)));
        AssertRequest(h, id, Opcode.ClusterInfo);
        Assert.True(RequestDecoder.TryReadEmpty(body, out _));

        var members = new MemberInfo[n];
        var ids = new ushort[n];
        for (int i = 0; i < n; i++)
        {
            ids[i] = (ushort)(i + 1);
            members[i] = new MemberInfo(ids[i], $"10.0.0.{i}:700{i}", i % 2 == 0 ? MemberState.Up : MemberState.Down);
        }

        var ranges = new SlotRange[n];
        SlotRange.DefaultTable(ids, ranges);
        (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteClusterInfoResponse(w, id, version, members, ranges)));
        AssertResponse(h, id, Opcode.ClusterInfo);
        Assert.True(ResponseDecoder.TryReadClusterInfo(body, out ulong v, out var memberList, out var rangeList, out _));
        Assert.Equal(version, v);
        Assert.Equal(n, memberList.Count);
        int j = 0;
        foreach (var m in memberList)
        {
            Assert.Equal(members[j].NodeId, m.NodeId);
            Assert.Equal(members[j].Address, m.GetAddress());
            Assert.Equal(members[j].State, m.State);
            j++;
        }

        Assert.Equal(n, j);
        Assert.Equal(n, rangeList.Count);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(ranges[i], rangeList[i]);
        }

        // A section a later node appends after the ranges is skipped, not an error.
        byte[] extended = [.. body, 1, 2, 3, 4, 5];
        Assert.True(ResponseDecoder.TryReadClusterInfo(extended, out v, out _, out rangeList, out _));
        Assert.Equal(version, v);
        Assert.Equal(n, rangeList.Count);
    });

    [Fact]
    public void Ping_value_status_and_error_responses() => Gen.Select(Gen.UInt, GenValue, GenName).Sample(t =>
    {
        var (id, payload, message) = t;
        var (h, body) = Decode(Wire.Encode(w => FrameWriter.WritePing(w, id, payload)));
        AssertRequest(h, id, Opcode.Ping);
        Assert.Equal(payload, body);

        (h, body) = Decode(Wire.Encode(w => FrameWriter.WritePingResponse(w, id, payload)));
        AssertResponse(h, id, Opcode.Ping);
        Assert.Equal(payload, body);

        (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteValueResponse(w, id, Opcode.Get, payload)));
        AssertResponse(h, id, Opcode.Get);
        Assert.True(ResponseDecoder.TryReadValue(body, out var value, out _));
        Assert.Equal(payload, value.ToArray());

        foreach (StatusCode s in new[] { StatusCode.Ok, StatusCode.NotFound, StatusCode.Exists })
        {
            (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteStatusResponse(w, id, Opcode.PutIfAbsent, s)));
            AssertResponse(h, id, Opcode.PutIfAbsent, s);
            Assert.False(h.IsError);
            Assert.True(ResponseDecoder.TryReadEmpty(body, out _));
        }

        (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteErrorResponse(w, id, Opcode.Unlock, StatusCode.NotOwner, message)));
        AssertResponse(h, id, Opcode.Unlock, StatusCode.NotOwner);
        Assert.True(h.IsError);
        Assert.True(ResponseDecoder.TryReadError(body, out var msg, out _));
        Assert.Equal(message, Encoding.UTF8.GetString(msg));

        (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteErrorResponse(w, id, Opcode.Get, StatusCode.Timeout, "timed out"u8)));
        AssertResponse(h, id, Opcode.Get, StatusCode.Timeout);
        Assert.True(ResponseDecoder.TryReadError(body, out msg, out _));
        Assert.Equal("timed out", Encoding.UTF8.GetString(msg));
    });

    [Fact]
    public void A_RespExecute_refused_for_a_move_returns_its_request_after_the_status_fields()
    {
        var request = new byte[] { 2, (byte)'*', (byte)'1', (byte)'\r', (byte)'\n', (byte)'$', (byte)'3', (byte)'\r', (byte)'\n', (byte)'G', (byte)'E', (byte)'T', (byte)'\r', (byte)'\n' };
        // The request as it sits in a receive pipe: split over two segments.
        var returned = Segments.SplitAt(request, 5);
        foreach (var status in new[] { StatusCode.WrongNode, StatusCode.Moving })
        {
            var bytes = Wire.Encode(w => FrameWriter.WriteRefusalReturningRequest(w, 7, Opcode.RespExecute, status, "later", 9, 1, returned));
            Assert.Equal(FrameWriter.RefusalReturningRequestLength(status, "later", request.Length), bytes.Length - 4);
            var (h, body) = Decode(bytes);
            AssertResponse(h, 7, Opcode.RespExecute, status);
            Assert.True(ResponseDecoder.TryReadReturnedRequest(status, body, out var back));
            Assert.Equal(request, back.ToArray());
            // Readers that know only the message (and WrongNode's fields) still read them.
            Assert.True(ResponseDecoder.TryReadError(body, out var message, out _));
            Assert.Equal("later", Encoding.UTF8.GetString(message));
            if (status == StatusCode.WrongNode)
            {
                Assert.True(ResponseDecoder.TryReadWrongNode(body, out _, out var epoch, out var owner, out _));
                Assert.Equal((9UL, (ushort)1), (epoch, owner));
            }
        }

        // A refusal that returns nothing (an older sender, or a request too large to return), or another status: none.
        var (_, plain) = Decode(Wire.Encode(w => FrameWriter.WriteWrongNodeResponse(w, 7, Opcode.RespExecute, "moved", 9, 1)));
        Assert.False(ResponseDecoder.TryReadReturnedRequest(StatusCode.WrongNode, plain, out _));
        (_, plain) = Decode(Wire.Encode(w => FrameWriter.WriteErrorResponse(w, 7, Opcode.RespExecute, StatusCode.Moving, "moving")));
        Assert.False(ResponseDecoder.TryReadReturnedRequest(StatusCode.Moving, plain, out _));
        Assert.False(ResponseDecoder.TryReadReturnedRequest(StatusCode.Timeout, plain, out _));
        Assert.False(ResponseDecoder.TryReadReturnedRequest(StatusCode.WrongNode, [5, 0, 1, 2], out _)); // cut short
    }

    [Fact]
    public void RespPublish_carries_the_channel_and_the_message_and_a_cut_channel_is_refused()
    {
        var bytes = Wire.Encode(w => FrameWriter.WriteRespPublish(w, "news"u8, "hello"u8));
        Assert.Equal(FrameWriter.RespPublishFrameLength(4, 5), bytes.Length);
        var (h, body) = Decode(bytes);
        Assert.Equal((0u, Opcode.RespPublish, false), (h.RequestId, h.Opcode, h.IsResponse));
        Assert.True(RequestDecoder.TryValidateHeader(h, out _));
        Assert.True(RequestDecoder.TryReadRespPublish(body, out var channel, out var message, out _));
        Assert.Equal("news", Encoding.UTF8.GetString(channel));
        Assert.Equal("hello", Encoding.UTF8.GetString(message));

        // An empty message is a message; a channel longer than the body is refused, not read past the end.
        (_, body) = Decode(Wire.Encode(w => FrameWriter.WriteRespPublish(w, "c"u8, default)));
        Assert.True(RequestDecoder.TryReadRespPublish(body, out channel, out message, out _));
        Assert.Equal(("c", 0), (Encoding.UTF8.GetString(channel), message.Length));
        Assert.False(RequestDecoder.TryReadRespPublish([9, 0, 0, 0, 1, 2], out _, out _, out var error));
        Assert.Equal(StatusCode.BadRequest, error.Status);
        Assert.False(RequestDecoder.TryReadRespPublish([1, 0], out _, out _, out _));
    }

    [Fact]
    public void Wrong_node_carries_the_epoch_and_owner_after_the_message_and_message_only_readers_still_read_it()
    {
        var bytes = Wire.Encode(w => FrameWriter.WriteWrongNodeResponse(w, 9, Opcode.Put, "moved", 0x0102030405060708, 2));
        // length 25 (8 + a 17-byte body), header, then message (2 + 5), epoch (8), owner (2), all little-endian.
        Assert.Equal(
            [0x19, 0, 0, 0, 9, 0, 0, 0, (byte)Opcode.Put, 0x01, 0x08, 0x01,
             5, 0, (byte)'m', (byte)'o', (byte)'v', (byte)'e', (byte)'d',
             8, 7, 6, 5, 4, 3, 2, 1,
             2, 0],
            bytes);
        var (h, body) = Decode(bytes);
        AssertResponse(h, 9, Opcode.Put, StatusCode.WrongNode);
        Assert.True(ResponseDecoder.TryReadWrongNode(body, out var message, out var epoch, out var owner, out _));
        Assert.Equal("moved", Encoding.UTF8.GetString(message));
        Assert.Equal(0x0102030405060708UL, epoch);
        Assert.Equal((ushort)2, owner);
        // A reader that knows only the message reads it and ignores the rest.
        Assert.True(ResponseDecoder.TryReadError(body, out message, out _));
        Assert.Equal("moved", Encoding.UTF8.GetString(message));

        // A sender that writes the message alone: epoch 0 (unknown), no owner.
        (_, body) = Decode(Wire.Encode(w => FrameWriter.WriteErrorResponse(w, 9, Opcode.Put, StatusCode.WrongNode, "old")));
        Assert.True(ResponseDecoder.TryReadWrongNode(body, out message, out epoch, out owner, out _));
        Assert.Equal("old", Encoding.UTF8.GetString(message));
        Assert.Equal(0UL, epoch);
        Assert.Equal(ProtocolConstants.ClientNodeId, owner);

        // Fields cut short are malformed, not silently zero.
        Assert.False(ResponseDecoder.TryReadWrongNode(body.ToArray().Concat(new byte[] { 1, 2, 3 }).ToArray(), out _, out _, out _, out var error));
        Assert.Equal(StatusCode.BadRequest, error.Status);
    }

    [Fact]
    public void Txn_error_carries_the_attempts_after_its_message()
    {
        var bytes = Wire.Encode(w => FrameWriter.WriteTxnErrorResponse(w, 7, Opcode.MultiPut, StatusCode.Aborted, "gave up", 50));
        // length 21 (8 + a 13-byte body), header, then message (2 + 7), attempts (4), little-endian.
        Assert.Equal(
            [0x15, 0, 0, 0, 7, 0, 0, 0, (byte)Opcode.MultiPut, 0x01, 0x09, 0x01,
             7, 0, (byte)'g', (byte)'a', (byte)'v', (byte)'e', (byte)' ', (byte)'u', (byte)'p',
             50, 0, 0, 0],
            bytes);
        var (h, body) = Decode(bytes);
        AssertResponse(h, 7, Opcode.MultiPut, StatusCode.Aborted);
        Assert.True(ResponseDecoder.TryReadTxnError(body, out var message, out var attempts, out _));
        Assert.Equal("gave up", Encoding.UTF8.GetString(message));
        Assert.Equal(50u, attempts);
        // A reader that knows only the message reads it and ignores the rest.
        Assert.True(ResponseDecoder.TryReadError(body, out message, out _));
        Assert.Equal("gave up", Encoding.UTF8.GetString(message));

        // The message alone (refused before any attempt, or an older sender): 0 attempts, not known.
        (_, body) = Decode(Wire.Encode(w => FrameWriter.WriteErrorResponse(w, 7, Opcode.MultiPut, StatusCode.BadRequest, "bad")));
        Assert.True(ResponseDecoder.TryReadTxnError(body, out message, out attempts, out _));
        Assert.Equal("bad", Encoding.UTF8.GetString(message));
        Assert.Equal(0u, attempts);

        // A count cut short is malformed, not silently zero; an ok status is not an error answer.
        Assert.False(ResponseDecoder.TryReadTxnError(body.ToArray().Concat(new byte[] { 1, 2 }).ToArray(), out _, out _, out var error));
        Assert.Equal(StatusCode.BadRequest, error.Status);
        Assert.ThrowsAny<ArgumentException>(() => Wire.Encode(w => FrameWriter.WriteTxnErrorResponse(w, 7, Opcode.MultiPut, StatusCode.Ok, "no", 1)));
    }

    [Fact]
    public void Txn_waits_for_round_trips_and_a_lying_count_is_malformed()
    {
        var (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteTxnWaitsFor(w, 3)));
        AssertRequest(h, 3, Opcode.TxnWaitsFor, FrameFlags.None);
        Assert.Empty(body);

        TxnWaitEdge[] edges = [new(new TxnId(1, 0, 1), new TxnId(2, 1, 2)), new(new TxnId(2, 1, 2), new TxnId(1, 0, 1))];
        var bytes = Wire.Encode(w => FrameWriter.WriteTxnWaitsForResponse(w, 3, edges));
        Assert.Equal(FrameWriter.TxnWaitsForResponseFrameLength(2), bytes.Length);
        (h, body) = Decode(bytes);
        AssertResponse(h, 3, Opcode.TxnWaitsFor, StatusCode.Ok);
        var read = new List<TxnWaitEdge>();
        Assert.True(ResponseDecoder.TryReadTxnWaitsFor(body, read, out _));
        Assert.Equal(edges, read);

        // A count claiming more edges than the body holds, or fewer than it carries: malformed, nothing added.
        var lying = body.ToArray();
        lying[0] = 200;
        read.Clear();
        Assert.False(ResponseDecoder.TryReadTxnWaitsFor(lying, read, out var error));
        Assert.Equal(StatusCode.BadRequest, error.Status);
        lying[0] = 1;
        Assert.False(ResponseDecoder.TryReadTxnWaitsFor(lying, read, out _));
        Assert.Empty(read);
        Assert.Equal(OpcodeDirection.NodeToNode, OpcodeDirections.Of(Opcode.TxnWaitsFor));
    }

    [Fact]
    public void Relayed_frame_keeps_body_with_new_id_and_flags() => Gen.Select(Gen.UInt, Gen.UInt, GenKey, GenValue).Sample(t =>
    {
        var (id, newId, key, value) = t;
        byte[] original = Wire.Encode(w => FrameWriter.WritePut(w, id, key, value, 42));
        var seq = Segments.SplitAt(original, original.Length / 2);
        Assert.True(FrameReader.TryReadFrame(ref seq, ProtocolLimits.Default, out Frame frame, out _));
        byte[] relayed = Wire.Encode(w => FrameWriter.WriteRelayed(w, frame, newId, FrameFlags.Forwarded));
        var (h, body) = Decode(relayed);
        AssertRequest(h, newId, Opcode.Put, FrameFlags.Fenced | FrameFlags.Forwarded);
        Assert.Equal(original.AsSpan(12).ToArray(), body);
    });

    private static void AssertKeys(byte[][] expected, KeyList actual)
    {
        Assert.Equal(expected.Length, actual.Count);
        int i = 0;
        foreach (var k in actual)
        {
            Assert.Equal(expected[i], k.ToArray());
            i++;
        }

        Assert.Equal(expected.Length, i);
    }

    [Fact]
    public void TxnRead_request_and_response() => Gen.Select(Gen.UInt, GenTxn, GenKeys, Gen.Select(Gen.Bool, GenValue, Gen.Long, Gen.ULong).Array[0, 6]).Sample(t =>
    {
        var (id, txn, keys, results) = t;
        var (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteTxnRead(w, id, txn, Mem(keys))));
        AssertRequest(h, id, Opcode.TxnRead);
        Assert.True(RequestDecoder.TryReadTxnRead(body, ProtocolLimits.Default, out var tx, out var list, out _));
        Assert.Equal(txn, tx);
        AssertKeys(keys, list);

        var lookups = Array.ConvertAll(results, r => r.Item1 ? new LookupResult(r.Item2, r.Item3, r.Item4) : LookupResult.Absent);
        var frame = Wire.Encode(w => FrameWriter.WriteTxnReadResponse(w, id, lookups));
        Assert.Equal(FrameWriter.TxnReadResponseFrameLength(lookups), frame.Length);
        (h, body) = Decode(frame);
        AssertResponse(h, id, Opcode.TxnRead);
        Assert.True(ResponseDecoder.TryReadTxnRead(body, out var decoded, out var metadata, out _));
        Assert.Equal(results.Length, decoded.Count);
        int i = 0;
        foreach (var e in decoded)
        {
            Assert.Equal(results[i].Item1, e.Present);
            Assert.Equal(results[i].Item1 ? results[i].Item2 : [], e.Value.ToArray());
            Assert.Equal(results[i].Item1 ? results[i].Item3 : 0, metadata.ExpiresAt(i));
            Assert.Equal(results[i].Item1 ? results[i].Item4 : 0UL, metadata.Version(i));
            i++;
        }

        Assert.Equal(results.Length, i);
    });

    [Fact]
    public void MultiPut_response_carries_attempts() => Gen.Select(Gen.UInt, Gen.UInt).Sample(t =>
    {
        var (id, attempts) = t;
        var (h, body) = Decode(Wire.Encode(w => FrameWriter.WriteMultiPutResponse(w, id, attempts)));
        AssertResponse(h, id, Opcode.MultiPut);
        Assert.True(ResponseDecoder.TryReadMultiPut(body, out var decoded, out _));
        Assert.Equal(attempts, decoded);
        Assert.False(ResponseDecoder.TryReadMultiPut(body.AsSpan(0, 3), out _, out _));
        Assert.False(ResponseDecoder.TryReadMultiPut([.. body, 0], out _, out _));
    });
}
