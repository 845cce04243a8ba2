using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace FastDht.Engine.Cluster;

/// <summary>The validated, immutable member list every node of one cluster is given, sorted by node id.</summary>
/// <remarks>
/// Validation is where bad configuration is caught before a socket opens: an empty list, a duplicate node id and
/// a duplicate address each fail with a one-line message that names the offending entry.
/// </remarks>
public sealed class MemberList
{
    private readonly ClusterMember[] _members;
    private readonly ClusterMember?[] _byId;

    public MemberList(IEnumerable<ClusterMember> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var list = new List<ClusterMember>(members);
        if (list.Count == 0)
            throw new ClusterConfigurationException("the member list is empty");
        list.Sort(static (a, b) => a.NodeId.CompareTo(b.NodeId));
        var maxId = list[^1].NodeId;
        _byId = new ClusterMember?[maxId + 1];
        var addresses = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var m in list)
        {
            if (_byId[m.NodeId] is { } other)
                throw new ClusterConfigurationException($"duplicate node id {m.NodeId}: {other.Address} and {m.Address}");
            if (!addresses.Add(m.Address))
                throw new ClusterConfigurationException($"duplicate address {m.Address} in the member list");
            _byId[m.NodeId] = m;
        }
        _members = list.ToArray();
        Digest = ComputeDigest(_members);
    }

    /// <summary>
    /// The member-list digest of protocol.md (Hello's membersDigest): XxHash64 over (u16 id, string "host:port"
    /// lower-cased) in id order, so two nodes given the same list in any order agree.
    /// </summary>
    public ulong Digest { get; }

    /// <summary>Members in ascending node-id order.</summary>
    public IReadOnlyList<ClusterMember> Members => _members;

    public int Count => _members.Length;

    public ClusterMember this[int index] => _members[index];

    public bool TryGet(ushort nodeId, out ClusterMember member)
    {
        if (nodeId < _byId.Length && _byId[nodeId] is { } m)
        {
            member = m;
            return true;
        }
        member = null!;
        return false;
    }

    public ClusterMember Get(ushort nodeId) =>
        TryGet(nodeId, out var m) ? m : throw new ClusterConfigurationException($"node id {nodeId} is not in the member list");

    /// <summary>Finds the member listening on "host:port" (case-insensitive host).</summary>
    public bool TryFindByAddress(string address, out ClusterMember member)
    {
        foreach (var m in _members)
        {
            if (string.Equals(m.Address, address, StringComparison.OrdinalIgnoreCase))
            {
                member = m;
                return true;
            }
        }
        member = null!;
        return false;
    }

    /// <summary>
    /// Parses a comma- or whitespace-separated list such as "127.0.0.1:7001,127.0.0.1:7002" (ids 0, 1, ...) or
    /// "1=hostA:7000 2=hostB:7000" (explicit ids).
    /// </summary>
    public static MemberList Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split([',', ' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        return Parse(parts);
    }

    /// <summary>Parses one member per entry; entries without "id=" are numbered by their position.</summary>
    public static MemberList Parse(IReadOnlyList<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var members = new List<ClusterMember>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            try
            {
                members.Add(ClusterMember.Parse(entries[i], checked((ushort)i)));
            }
            catch (FormatException e)
            {
                throw new ClusterConfigurationException(e.Message);
            }
        }
        return new MemberList(members);
    }

    private static ulong ComputeDigest(ClusterMember[] members)
    {
        var hash = new XxHash64();
        Span<byte> u16 = stackalloc byte[2];
        foreach (var m in members)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(u16, m.NodeId);
            hash.Append(u16);
            var address = Encoding.UTF8.GetBytes(m.Address.ToLowerInvariant());
            BinaryPrimitives.WriteUInt16LittleEndian(u16, (ushort)address.Length);
            hash.Append(u16);
            hash.Append(address);
        }
        return hash.GetCurrentHashAsUInt64();
    }

    public override string ToString() => string.Join(",", (IEnumerable<ClusterMember>)_members);
}
