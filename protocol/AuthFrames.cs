using System.Buffers;
using FastDht.Protocol.Internal;

namespace FastDht.Protocol;

/// <summary>
/// The Auth opcode's bodies (docs/protocol.md section 3.1): a client's password, and the three steps of a peer's
/// cluster-secret challenge-response. Kept apart from <see cref="FrameWriter"/> so authentication is read in one place.
/// </summary>
public static class AuthFrames
{
    /// <summary>The length of each side's nonce and of an HMAC-SHA256 proof.</summary>
    public const int NonceSize = 32;

    /// <summary>The length of an HMAC-SHA256 proof.</summary>
    public const int ProofSize = 32;

    /// <summary>Auth request, mechanism Password: u8 1, string user (empty = default), string password.</summary>
    public static void WritePassword(IBufferWriter<byte> writer, uint requestId, string user, string password)
    {
        int userBytes = WireSize.StringBytes(user, nameof(user));
        int passwordBytes = WireSize.StringBytes(password, nameof(password));
        var b = FrameBuilder.Start(writer, FrameLengths.PasswordAuthBody(userBytes, passwordBytes), requestId, Opcode.Auth, FrameFlags.None, StatusCode.Ok);
        b.WriteU8((byte)AuthMechanism.Password);
        b.WriteString(user, userBytes);
        b.WriteString(password, passwordBytes);
        b.Commit();
    }

    /// <summary>Auth request, mechanism PeerChallenge (u8 2, 32-byte nonce) or PeerProof (u8 3, 32-byte proof).</summary>
    public static void WritePeerStep(IBufferWriter<byte> writer, uint requestId, AuthMechanism step, ReadOnlySpan<byte> bytes32)
    {
        if (step is not (AuthMechanism.PeerChallenge or AuthMechanism.PeerProof))
            throw new ArgumentOutOfRangeException(nameof(step), step, "only the peer steps carry 32 bytes");
        if (bytes32.Length != NonceSize)
            throw new ArgumentException($"a nonce or proof is {NonceSize} bytes", nameof(bytes32));
        var b = FrameBuilder.Start(writer, FrameLengths.PeerAuthStep - ProtocolConstants.HeaderSize, requestId, Opcode.Auth, FrameFlags.None, StatusCode.Ok);
        b.WriteU8((byte)step);
        b.WriteBytes(bytes32);
        b.Commit();
    }

    /// <summary>The Ok answer to a PeerChallenge: the acceptor's 32-byte nonce, then its 32-byte proof.</summary>
    public static void WriteChallengeResponse(IBufferWriter<byte> writer, uint requestId, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> proof)
    {
        if (nonce.Length != NonceSize || proof.Length != ProofSize)
            throw new ArgumentException($"a nonce and a proof are {NonceSize} bytes each");
        var b = FrameBuilder.Start(writer, NonceSize + ProofSize, requestId, Opcode.Auth, FrameFlags.Response, StatusCode.Ok);
        b.WriteBytes(nonce);
        b.WriteBytes(proof);
        b.Commit();
    }

    /// <summary>Decodes an Auth request body; a password must be valid UTF-8, a nonce or proof exactly 32 bytes.</summary>
    public static bool TryReadRequest(ReadOnlySpan<byte> body, out AuthRequest request, out ProtocolError error)
    {
        var reader = new BodyReader(body);
        if (reader.TryReadEnum((byte)AuthMechanism.PeerProof, out byte mechanism))
        {
            if (mechanism == 0)
            {
                reader.Fail(ProtocolError.OutOfRange(0, 0, (byte)AuthMechanism.PeerProof));
            }
            else if (mechanism == (byte)AuthMechanism.Password)
            {
                if (reader.TryReadString(out var user) && reader.TryReadString(out var password) && reader.TryReadEnd())
                {
                    request = new AuthRequest(AuthMechanism.Password, user, password);
                    error = default;
                    return true;
                }
            }
            else if (reader.TryReadBytes(NonceSize, out var bytes) && reader.TryReadEnd())
            {
                request = new AuthRequest((AuthMechanism)mechanism, default, bytes);
                error = default;
                return true;
            }
        }
        request = default;
        error = reader.Error;
        return false;
    }

    /// <summary>Decodes the Ok answer to a PeerChallenge: the acceptor's nonce and proof.</summary>
    public static bool TryReadChallengeResponse(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> nonce, out ReadOnlySpan<byte> proof)
    {
        if (body.Length != NonceSize + ProofSize)
        {
            nonce = proof = default;
            return false;
        }
        nonce = body[..NonceSize];
        proof = body[NonceSize..];
        return true;
    }
}
