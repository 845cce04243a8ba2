namespace FastDht.Protocol;

/// <summary>The one table of which opcodes exist and who may send each (docs/protocol.md section 5).</summary>
/// <remarks>
/// Why a table: a client connection and a peer link accept different requests, and a node-to-node request accepted
/// from a client is a hole (a client's TxnAbort would free another client's lock). Both the set of defined opcodes
/// (<see cref="RequestDecoder.IsDefined"/>) and each session's refusal come from here, so adding an opcode means
/// deciding its direction in this one place.
/// Peers send the single-key operations (forwarded, with FORWARDED), Ping, ClusterInfo and NodeInfo, the
/// participant parts of a client's Unlock and RenewLease, the Txn* operations, RespExecute, ReplicaSync, ClusterPropose, ClusterPush, LeaseRenew, MigrateKeys, RespPublish and Fragment. Clients
/// send Hello, Auth, Ping, ClusterInfo, NodeInfo, Snapshot, MoveSlots, RemoveNode, the single-key operations, MultiPut, MultiGet, Lock,
/// Unlock and RenewLease.
/// </remarks>
public static class OpcodeDirections
{
    // 256 entries indexed by the opcode byte: one load, no branches, on the per-request path.
    private static readonly OpcodeDirection[] Table = Build();

    /// <summary>Who may send <paramref name="opcode"/>; <see cref="OpcodeDirection.None"/> for an undefined opcode.</summary>
    public static OpcodeDirection Of(Opcode opcode) => Table[(byte)opcode];

    /// <summary>Whether an application client may send <paramref name="opcode"/>.</summary>
    public static bool FromClient(Opcode opcode) => (Table[(byte)opcode] & OpcodeDirection.ClientToNode) != 0;

    /// <summary>Whether a node may send <paramref name="opcode"/> to a peer.</summary>
    public static bool FromNode(Opcode opcode) => (Table[(byte)opcode] & OpcodeDirection.NodeToNode) != 0;

    private static OpcodeDirection[] Build()
    {
        var t = new OpcodeDirection[256];
        t[(byte)Opcode.Hello] = OpcodeDirection.Both;
        t[(byte)Opcode.Ping] = OpcodeDirection.Both;
        t[(byte)Opcode.ClusterInfo] = OpcodeDirection.Both;
        t[(byte)Opcode.NodeInfo] = OpcodeDirection.Both;
        t[(byte)Opcode.Auth] = OpcodeDirection.Both;
        t[(byte)Opcode.Snapshot] = OpcodeDirection.ClientToNode;
        t[(byte)Opcode.MoveSlots] = OpcodeDirection.ClientToNode;
        t[(byte)Opcode.RemoveNode] = OpcodeDirection.ClientToNode;
        t[(byte)Opcode.Get] = OpcodeDirection.Both;
        t[(byte)Opcode.Put] = OpcodeDirection.Both;
        t[(byte)Opcode.PutIfAbsent] = OpcodeDirection.Both;
        t[(byte)Opcode.Delete] = OpcodeDirection.Both;
        t[(byte)Opcode.MultiPut] = OpcodeDirection.ClientToNode;
        t[(byte)Opcode.MultiGet] = OpcodeDirection.ClientToNode;
        t[(byte)Opcode.Lock] = OpcodeDirection.ClientToNode;
        t[(byte)Opcode.Unlock] = OpcodeDirection.Both;
        t[(byte)Opcode.RenewLease] = OpcodeDirection.Both;
        t[(byte)Opcode.TxnLock] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.TxnPrepare] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.TxnCommit] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.TxnAbort] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.TxnWound] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.TxnRead] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.TxnStatus] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.TxnPin] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.TxnWaitsFor] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.RespExecute] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.ReplicaSync] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.ClusterPropose] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.ClusterPush] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.MigrateKeys] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.ClusterJoin] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.LeaseRenew] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.RespPublish] = OpcodeDirection.NodeToNode;
        t[(byte)Opcode.Fragment] = OpcodeDirection.NodeToNode;
        return t;
    }
}
