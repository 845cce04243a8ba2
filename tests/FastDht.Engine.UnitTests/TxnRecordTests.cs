using FastDht.Engine.Transactions.Internal;
using FastDht.Protocol;
using FastDht.Storage;
using FastDht.Storage.Durability;

namespace FastDht.Engine.UnitTests;

/// <summary>
/// The transaction records of the write-ahead log read back as written, and damaged ones are refused (false, so
/// recovery reports corruption) instead of throwing or allocating what a bad length claims.
/// </summary>
public sealed class TxnRecordTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "keyspace-txnrecord-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private byte[] PrepareRecordBytes()
    {
        var txn = new Locking.TxnId(123_456, 2, 9);
        using (var log = WriteAheadLog.Open(new WriteAheadLogOptions { Directory = _dir }, new ShardedStore(), out _))
        {
            TxnPrepareRecord.Append(log, txn, 3, 77, [new TxnMember(0, 5), new TxnMember(2, 6)],
                [new TxnWrite("k1"u8.ToArray(), "v1"u8.ToArray(), 11, TxnWriteKind.Put, 1_700_000_000_000), new TxnWrite("k2"u8.ToArray(), ""u8.ToArray(), 12, TxnWriteKind.Delete)]);
        }
        byte[]? body = null;
        using (WriteAheadLog.Open(new WriteAheadLogOptions { Directory = _dir, ApplicationRecord = b => { body = b.ToArray(); return true; } }, new ShardedStore(), out _))
        {
        }
        return body ?? throw new InvalidOperationException("no application record replayed");
    }

    [Fact]
    public void A_prepare_record_reads_back_as_written()
    {
        Assert.True(TxnPrepareRecord.TryRead(PrepareRecordBytes(), out var prepared));
        Assert.Equal(new Locking.TxnId(123_456, 2, 9), prepared!.Id);
        Assert.Equal(3, prepared.Attempt);
        Assert.Equal(77UL, prepared.CoordinatorIncarnation);
        Assert.Equal([(ushort)0, 2], prepared.Participants.Select(m => m.NodeId));
        Assert.Equal([5UL, 6], prepared.Participants.Select(m => m.Incarnation));
        Assert.Equal(["k1", "k2"], prepared.Writes.Select(w => System.Text.Encoding.UTF8.GetString(w.Key.Span)));
        Assert.Equal(["v1", ""], prepared.Writes.Select(w => System.Text.Encoding.UTF8.GetString(w.Value.Span)));
        Assert.Equal([TxnWriteKind.Put, TxnWriteKind.Delete], prepared.Writes.Select(w => w.Kind));
        Assert.Equal([1_700_000_000_000L, 0], prepared.Writes.Select(w => w.ExpiresAt));
        Assert.Equal([0UL, 0], prepared.Writes.Select(w => w.FenceToken)); // tokens belong to one process: taken anew at restart
    }

    [Fact]
    public void A_damaged_prepare_record_is_refused()
    {
        var body = PrepareRecordBytes();
        Assert.False(TxnPrepareRecord.TryRead(body.AsSpan(0, body.Length - 1), out _)); // cut
        Assert.False(TxnPrepareRecord.TryRead([.. body, 0], out _)); // trailing byte
        var huge = body.ToArray();
        // The write count (after the fixed part and two members) claims far more writes than the bytes hold.
        huge[1 + 14 + 2 + 8 + 2 + 2 * 10 + 3] = 0x7F;
        Assert.False(TxnPrepareRecord.TryRead(huge, out _));
        Assert.False(TxnDecisionRecord.TryRead(body, out _, out _));
    }

    [Fact]
    public void A_decision_record_says_whether_a_participant_ended_it()
    {
        var decision = new TxnDecision(new Locking.TxnId(1, 1, 1), 4, Commit: true);
        var bytes = new byte[TxnDecisionRecord.Size];
        TxnDecisionRecord.Write(bytes, decision, ended: true);
        Assert.True(TxnDecisionRecord.TryRead(bytes, out var read, out var ended));
        Assert.True(ended);
        Assert.Equal(decision, read);
        TxnDecisionRecord.Write(bytes, decision);
        Assert.True(TxnDecisionRecord.TryRead(bytes, out _, out ended));
        Assert.False(ended);
        Assert.False(TxnPrepareRecord.TryRead(bytes, out _));
    }
}
