namespace FastDht.Protocol;

/// <summary>What an Auth frame carries (its first body byte); docs/protocol.md section 3.1.</summary>
public enum AuthMechanism : byte
{
    /// <summary>A client's user name and password.</summary>
    Password = 1,

    /// <summary>A dialing node's fresh nonce; the answer carries the accepting node's nonce and its proof of the cluster secret.</summary>
    PeerChallenge = 2,

    /// <summary>The dialing node's proof of the cluster secret over both nonces.</summary>
    PeerProof = 3,
}
