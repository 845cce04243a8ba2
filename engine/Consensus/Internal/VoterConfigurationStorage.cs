using System.Buffers.Binary;
using System.Net;
using System.Text;
using DotNext.Buffers;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using FastDht.Engine.Cluster;

namespace FastDht.Engine.Consensus.Internal;

/// <summary>
/// The Raft library's member configuration: the voters' native addresses, built when the member starts from the committed
/// state's voters (without itself when it was just made a voter), then changed by the leader's configuration entries;
/// kept in memory. An address is stored as u16 length and "host:port" in UTF-8.
/// </summary>
internal sealed class VoterConfigurationStorage : InMemoryClusterConfigurationStorage<EndPoint>
{
    protected override void Encode(EndPoint address, ref BufferWriterSlim<byte> output)
    {
        var text = Encoding.UTF8.GetBytes(address switch
        {
            IPEndPoint ip => ClusterMember.FormatAddress(ip.Address.ToString(), ip.Port),
            DnsEndPoint dns => ClusterMember.FormatAddress(dns.Host, dns.Port),
            _ => address.ToString() ?? "",
        });
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)text.Length);
        output.Write(length);
        output.Write(text);
    }

    protected override EndPoint Decode(ref SequenceReader input)
    {
        Span<byte> length = stackalloc byte[2];
        input.Read(length);
        var text = new byte[BinaryPrimitives.ReadUInt16LittleEndian(length)];
        input.Read(text);
        if (!ClusterMember.TrySplitHostPort(Encoding.UTF8.GetString(text), out var host, out var port))
            throw new InvalidDataException("a Raft member address is not host:port");
        return IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port);
    }
}
