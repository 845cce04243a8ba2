namespace FastDht.Protocol.Tests;

/// <summary>The one table of opcode directions: every opcode of the enum has one, and the node-to-node set is exactly what only coordinators, participants and RESP servers send.</summary>
public sealed class OpcodeDirectionTests
{
    [Fact]
    public void Every_opcode_of_the_protocol_has_a_direction_and_nothing_else_does()
    {
        var named = Enum.GetValues<Opcode>().ToHashSet();
        for (var b = 0; b < 256; b++)
        {
            var opcode = (Opcode)b;
            Assert.Equal(named.Contains(opcode), OpcodeDirections.Of(opcode) != OpcodeDirection.None);
            Assert.Equal(named.Contains(opcode), RequestDecoder.IsDefined(opcode));
        }
    }

    [Fact]
    public void Transaction_internals_and_RespExecute_are_node_to_node_and_the_client_operations_are_not()
    {
        Opcode[] nodeOnly = [Opcode.TxnLock, Opcode.TxnPrepare, Opcode.TxnCommit, Opcode.TxnAbort, Opcode.TxnWound, Opcode.TxnRead, Opcode.TxnStatus, Opcode.TxnPin, Opcode.RespExecute, Opcode.RespPublish, Opcode.Fragment];
        foreach (var opcode in nodeOnly)
        {
            Assert.False(OpcodeDirections.FromClient(opcode), $"{opcode} from a client");
            Assert.True(OpcodeDirections.FromNode(opcode), $"{opcode} from a node");
        }
        foreach (var opcode in new[] { Opcode.MultiPut, Opcode.MultiGet, Opcode.Lock })
        {
            Assert.True(OpcodeDirections.FromClient(opcode));
            Assert.False(OpcodeDirections.FromNode(opcode), $"{opcode} is coordinated by the node a client sends it to; nodes send TxnLock and friends");
        }
        foreach (var opcode in new[] { Opcode.Hello, Opcode.Ping, Opcode.ClusterInfo, Opcode.NodeInfo, Opcode.Get, Opcode.Put, Opcode.PutIfAbsent, Opcode.Delete, Opcode.Unlock, Opcode.RenewLease })
            Assert.Equal(OpcodeDirection.Both, OpcodeDirections.Of(opcode));
    }
}
