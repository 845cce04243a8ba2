using System.Buffers.Binary;
using FastDht.Engine.Cluster;
using FastDht.Engine.Connections;
using FastDht.Engine.Keyspace.Internal;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// Elasticity on a link (docs/elasticity.md): MigrateKeys applies the keys of slots a peer is moving to this node.
/// </summary>
internal sealed partial class PeerLink
{
    /// <summary>
    /// Receiver side of a slot move: a batch of keys of slots this node imports from the peer (their primary). Every
    /// record is checked before any is applied (a batch is refused whole); applied through the keyspace (logged here);
    /// the answer is held until the batch is durable here, like any write's.
    /// </summary>
    private ValueTask<bool> MigrateKeysAsync(Frame frame)
    {
        var header = frame.Header;
        var body = BodyOf(frame);
        if (body.Length < MigrateKeysRequest.PrefixSize)
            return ReplyErrorAsync(header, StatusCode.BadRequest, "MigrateKeys carries an epoch, a kind and a slot range before its records");
        var epoch = BinaryPrimitives.ReadUInt64LittleEndian(body);
        var kind = body[8];
        int first = BinaryPrimitives.ReadUInt16LittleEndian(body[9..]);
        int last = BinaryPrimitives.ReadUInt16LittleEndian(body[11..]);
        var records = body[MigrateKeysRequest.PrefixSize..];
        // Checked and applied under the imports' gate: a drop of an abandoned import of these slots runs wholly before
        // or after, never between the check and the apply (SlotImports).
        lock (_mesh.Imports.Gate)
            return ApplyMigrateKeys(header, epoch, kind, first, last, records);
    }

    private ValueTask<bool> ApplyMigrateKeys(in FrameHeader header, ulong epoch, byte kind, int first, int last, ReadOnlySpan<byte> records)
    {
        var state = _mesh.Cluster.Current;
        var self = _mesh.Identity.SelfId;
        if (epoch > state.Epoch)
            return ReplyAsync(new WrongNodeReply(header.RequestId, header.Opcode, $"node {self} is at epoch {state.Epoch}, behind the move's epoch {epoch}", state.Epoch, PeerId));
        if (first > last || last >= SlotTable.SlotCount)
            return ReplyErrorAsync(header, StatusCode.BadRequest, $"MigrateKeys slot range {first}-{last} is not within 0-{SlotTable.SlotCount - 1}");
        for (var s = first; s <= last; s++)
        {
            var assignment = state.Slots.AssignmentOf(s);
            if (assignment.Primary != PeerId || assignment.Importing != self)
                return ReplyErrorAsync(header, StatusCode.BadRequest, $"node {self} does not import slot {s} from node {PeerId} at epoch {state.Epoch} ({assignment})");
        }
        var keyspace = _mesh.Keyspace;
        if (kind == MigrateKeysRequest.KindReset)
        {
            if (!records.IsEmpty)
                return ReplyErrorAsync(header, StatusCode.BadRequest, "a MigrateKeys reset carries no records");
            // Journaled first: a restart must not forget that these slots' keys here are an import's (SlotImports).
            if (_mesh.Imports.Began(first, last, PeerId, epoch) is { } failure)
                return ReplyErrorAsync(header, StatusCode.InternalError, failure);
            keyspace.RemoveSlots(first, last);
            keyspace.Moves?.SetGone(first, last, false); // slots this node once handed away come back to it
            return ReplyAsync(new StatusReply(header.RequestId, header.Opcode, StatusCode.Ok));
        }
        if (kind != MigrateKeysRequest.KindRecords)
            return ReplyErrorAsync(header, StatusCode.BadRequest, $"unknown MigrateKeys kind {kind}");
        for (var rest = records; !rest.IsEmpty;)
        {
            if (!StreamRecords.TryRead(rest, out var recordKind, out var key, out _, out _, out var size)
                || (recordKind != StreamRecords.KindClear && (key.IsEmpty || key.Length > ReceiveLimits.MaxKeySize)))
                return ReplyErrorAsync(header, StatusCode.BadRequest, "malformed MigrateKeys record");
            if (recordKind != StreamRecords.KindClear && KeySlot.Of(key) is var slot && (slot < first || slot > last))
                return ReplyErrorAsync(header, StatusCode.BadRequest, $"a MigrateKeys record's key is in slot {slot}, outside {first}-{last}");
            rest = rest[size..];
        }
        for (var rest = records; !rest.IsEmpty;)
        {
            StreamRecords.TryRead(rest, out var recordKind, out var key, out var value, out var expiresAt, out var type, out var version, out var baseVersion, out var size);
            if (recordKind == StreamRecords.KindClear)
                keyspace.RemoveSlots(first, last); // the sender's FLUSHALL, as far as these slots go
            else if (!keyspace.ApplyMigrated(recordKind, key, value, expiresAt, type, version, baseVersion))
                return ReplyErrorAsync(header, StatusCode.BadRequest, "a change record does not fit this node's copy of its base version");
            rest = rest[size..];
        }
        return ReplyAsync(new StatusReply(header.RequestId, header.Opcode, StatusCode.Ok));
    }
}
