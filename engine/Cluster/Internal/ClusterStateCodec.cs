using System.Buffers.Binary;
using System.Text;
using FastDht.Protocol;

namespace FastDht.Engine.Cluster.Internal;

/// <summary>
/// A <see cref="ClusterState"/> as bytes: the payload of a Raft log entry and snapshot, of ClusterPropose and of
/// ClusterPush. Little-endian, versioned, checked whole on decode (a peer or a damaged log gets a one-line error).
/// </summary>
/// <remarks>
/// Layout (version 3): u8 version, u64 epoch, u16 member count, per member (u16 id, u16 port, u8 host length, host
/// UTF-8), u16 range count, per range (u16 first slot, u16 last slot, u16 primary, u16 importing (0xFFFF: not moving,
/// docs/elasticity.md), u8 replica count, u16 each, u8 in-sync count, u16 each), then u8 voter count, u16 each (the Raft
/// group's voters, docs/replication.md). Version 2 (no voters: they are <see cref="ClusterState.DefaultVoters"/>, what
/// every node computed from the member list before) and version 1 (written before slot moves: no importing field
/// either) are still read, so a Raft log or snapshot written by an earlier build replays. A whole state is written rather than a delta: a state is small (about 12 bytes per
/// range plus the members: well under 1 KiB for ten nodes, 20 KiB for a thousand) and changes are rare, and a whole
/// state makes every entry self-contained: applying one needs no earlier entry, only the epoch check.
/// </remarks>
internal static class ClusterStateCodec
{
    private const byte Version = 3;

    /// <summary>The layout before the voters were part of the state: no voter list at the end.</summary>
    private const byte VersionWithoutVoters = 2;

    /// <summary>The layout before slot moves: no importing field (and no voters).</summary>
    private const byte VersionWithoutMoves = 1;

    public static byte[] Encode(ClusterState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var members = state.Members.Members;
        var ranges = state.Slots.Ranges;
        var assignments = state.Slots.RangeAssignments;
        var hosts = new byte[members.Count][];
        var size = 1 + 8 + 2 + 2;
        for (var i = 0; i < members.Count; i++)
        {
            hosts[i] = Encoding.UTF8.GetBytes(members[i].Host);
            if (hosts[i].Length > byte.MaxValue)
                throw new ClusterConfigurationException($"member {members[i].NodeId}: host name longer than 255 bytes");
            size += 2 + 2 + 1 + hosts[i].Length;
        }
        for (var i = 0; i < ranges.Count; i++)
            size += 8 + 1 + (2 * assignments[i].Replicas.Length) + 1 + (2 * assignments[i].InSync.Length);
        var voters = state.Voters;
        if (voters.Count > byte.MaxValue)
            throw new ClusterConfigurationException($"{voters.Count} voters: at most 255");
        size += 1 + (2 * voters.Count);
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        var at = 0;
        span[at++] = Version;
        BinaryPrimitives.WriteUInt64LittleEndian(span[at..], state.Epoch);
        at += 8;
        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)members.Count);
        at += 2;
        for (var i = 0; i < members.Count; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], members[i].NodeId);
            BinaryPrimitives.WriteUInt16LittleEndian(span[(at + 2)..], (ushort)members[i].Port);
            span[at + 4] = (byte)hosts[i].Length;
            at += 5;
            hosts[i].CopyTo(span[at..]);
            at += hosts[i].Length;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)ranges.Count);
        at += 2;
        for (var i = 0; i < ranges.Count; i++)
        {
            var a = assignments[i];
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], ranges[i].FirstSlot);
            BinaryPrimitives.WriteUInt16LittleEndian(span[(at + 2)..], ranges[i].LastSlot);
            BinaryPrimitives.WriteUInt16LittleEndian(span[(at + 4)..], a.Primary);
            BinaryPrimitives.WriteUInt16LittleEndian(span[(at + 6)..], a.Importing);
            at += 8;
            at = WriteIds(span, at, a.Replicas);
            at = WriteIds(span, at, a.InSync);
        }
        span[at++] = (byte)voters.Count;
        foreach (var id in voters)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], id);
            at += 2;
        }
        return bytes;
    }

    /// <summary>Decodes a whole state; false with a one-line reason when the bytes are not one (short, trailing bytes, an invalid table).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out ClusterState state, out string error)
    {
        state = null!;
        try
        {
            var at = 0;
            if (!Need(bytes, at, 1 + 8 + 2, out error))
                return false;
            var version = bytes[0];
            if (version is not (Version or VersionWithoutVoters or VersionWithoutMoves))
            {
                error = $"cluster state version {bytes[0]} is not understood (this node reads version {Version})";
                return false;
            }
            var epoch = BinaryPrimitives.ReadUInt64LittleEndian(bytes[1..]);
            int memberCount = BinaryPrimitives.ReadUInt16LittleEndian(bytes[9..]);
            at = 11;
            var members = new List<ClusterMember>(memberCount);
            for (var i = 0; i < memberCount; i++)
            {
                if (!Need(bytes, at, 5, out error))
                    return false;
                var id = BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]);
                int port = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(at + 2)..]);
                int hostLength = bytes[at + 4];
                at += 5;
                if (!Need(bytes, at, hostLength, out error))
                    return false;
                members.Add(new ClusterMember(id, Encoding.UTF8.GetString(bytes.Slice(at, hostLength)), port));
                at += hostLength;
            }
            if (!Need(bytes, at, 2, out error))
                return false;
            int rangeCount = BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]);
            at += 2;
            var ranges = new SlotRange[rangeCount];
            var assignments = new SlotAssignment[rangeCount];
            Span<ushort> replicas = stackalloc ushort[byte.MaxValue];
            Span<ushort> inSync = stackalloc ushort[byte.MaxValue];
            for (var i = 0; i < rangeCount; i++)
            {
                var fixedSize = version == VersionWithoutMoves ? 6 : 8;
                if (!Need(bytes, at, fixedSize, out error))
                    return false;
                var first = BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]);
                var last = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(at + 2)..]);
                var primary = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(at + 4)..]);
                var importing = version != VersionWithoutMoves ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[(at + 6)..]) : SlotAssignment.NotMoving;
                at += fixedSize;
                if (!TryReadIds(bytes, ref at, replicas, out var replicaCount, out error)
                    || !TryReadIds(bytes, ref at, inSync, out var inSyncCount, out error))
                    return false;
                ranges[i] = new SlotRange(first, last, primary);
                assignments[i] = new SlotAssignment(primary, replicas[..replicaCount], inSync[..inSyncCount], importing);
            }
            ushort[]? voters = null;
            if (version == Version)
            {
                Span<ushort> ids = stackalloc ushort[byte.MaxValue];
                if (!TryReadIds(bytes, ref at, ids, out var voterCount, out error))
                    return false;
                voters = ids[..voterCount].ToArray();
            }
            if (at != bytes.Length)
            {
                error = $"{bytes.Length - at} bytes after the cluster state";
                return false;
            }
            state = new ClusterState(epoch, new MemberList(members), SlotTable.FromRangeAssignments(ranges, assignments), voters);
            error = "";
            return true;
        }
        catch (Exception e) when (e is ClusterConfigurationException or ArgumentException)
        {
            error = $"not a valid cluster state: {e.Message}";
            return false;
        }
    }

    private static int WriteIds(Span<byte> span, int at, ReadOnlySpan<ushort> ids)
    {
        span[at++] = (byte)ids.Length;
        foreach (var id in ids)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], id);
            at += 2;
        }
        return at;
    }

    private static bool TryReadIds(ReadOnlySpan<byte> bytes, ref int at, Span<ushort> into, out int count, out string error)
    {
        count = 0;
        if (!Need(bytes, at, 1, out error))
            return false;
        count = bytes[at++];
        if (!Need(bytes, at, 2 * count, out error))
            return false;
        for (var i = 0; i < count; i++)
            into[i] = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(at + (2 * i))..]);
        at += 2 * count;
        return true;
    }

    private static bool Need(ReadOnlySpan<byte> bytes, int at, int count, out string error)
    {
        if (bytes.Length - at >= count)
        {
            error = "";
            return true;
        }
        error = $"the cluster state ends at byte {bytes.Length}, {count} more were expected at byte {at}";
        return false;
    }
}
