using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using FastDht.Protocol;

namespace FastDht.Engine.Security.Internal;

/// <summary>
/// The two proofs of a peer handshake (docs/protocol.md section 3.1): HMAC-SHA256 under the cluster secret over a label
/// naming the side, the cluster name, both node ids and both nonces.
/// </summary>
/// <remarks>
/// Why each part: the nonces from both sides make every proof fresh, so a recorded one is useless in another handshake
/// (replay); the side's label stops a node from reflecting the other side's proof back at it; the ids and the cluster
/// name stop a proof made for one pair of nodes from being relayed to another.
/// </remarks>
internal static class PeerProof
{
    private static readonly byte[] AcceptorLabel = "fastdht peer link v1: acceptor"u8.ToArray();
    private static readonly byte[] DialerLabel = "fastdht peer link v1: dialer"u8.ToArray();

    /// <summary>A fresh random nonce.</summary>
    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(AuthFrames.NonceSize);

    /// <summary>What the accepting node sends in answer to the challenge.</summary>
    public static void Acceptor(ClusterSecret secret, string cluster, ushort dialerId, ushort acceptorId, ReadOnlySpan<byte> dialerNonce, ReadOnlySpan<byte> acceptorNonce, Span<byte> proof) =>
        Compute(secret, AcceptorLabel, cluster, dialerId, acceptorId, dialerNonce, acceptorNonce, proof);

    /// <summary>What the dialing node sends once it has checked the acceptor's proof.</summary>
    public static void Dialer(ClusterSecret secret, string cluster, ushort dialerId, ushort acceptorId, ReadOnlySpan<byte> dialerNonce, ReadOnlySpan<byte> acceptorNonce, Span<byte> proof) =>
        Compute(secret, DialerLabel, cluster, dialerId, acceptorId, dialerNonce, acceptorNonce, proof);

    /// <summary>Compares a received proof with the expected one in constant time.</summary>
    public static bool Equal(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> received) =>
        received.Length == expected.Length && CryptographicOperations.FixedTimeEquals(expected, received);

    private static void Compute(ClusterSecret secret, byte[] label, string cluster, ushort dialerId, ushort acceptorId, ReadOnlySpan<byte> dialerNonce, ReadOnlySpan<byte> acceptorNonce, Span<byte> proof)
    {
        var clusterBytes = Encoding.UTF8.GetBytes(cluster);
        var message = new byte[label.Length + 2 + clusterBytes.Length + 2 + 2 + dialerNonce.Length + acceptorNonce.Length];
        var span = message.AsSpan();
        label.CopyTo(span);
        span = span[label.Length..];
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)clusterBytes.Length);
        clusterBytes.CopyTo(span[2..]);
        span = span[(2 + clusterBytes.Length)..];
        BinaryPrimitives.WriteUInt16LittleEndian(span, dialerId);
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], acceptorId);
        dialerNonce.CopyTo(span[4..]);
        acceptorNonce.CopyTo(span[(4 + dialerNonce.Length)..]);
        secret.Sign(message, proof);
    }
}
