using System.Buffers;
using FastDht.Protocol.Resp;
using static FastDht.Protocol.Tests.Resp.RespTestCodec;

namespace FastDht.Protocol.Tests.Resp;

public sealed class RespAllocationTests
{
    [Fact]
    public void ParsingAllocatesNothingPerCommandAfterWarmUp()
    {
        var stream = new List<byte>();
        for (int i = 0; i < 200; i++)
        {
            stream.AddRange(Multibulk("GET", "key:" + i.ToString("D12")));
            stream.AddRange(Multibulk("SET", "key:" + i.ToString("D12"), new string('v', 100 + i)));
            stream.AddRange(Ascii("PING\r\n"));
        }

        byte[] bytes = stream.ToArray();
        ReadOnlySequence<byte> whole = new(bytes);

        // Segments of 1000 bytes: many commands and arguments straddle a boundary and take the copying path.
        var cuts = new List<int>();
        for (int at = 1000; at < bytes.Length; at += 1000)
        {
            cuts.Add(at);
        }

        ReadOnlySequence<byte> segmented = RespSegmentedSequence.Create(bytes, cuts.ToArray());
        var command = new RespCommand();
        long checksum = ParseAll(whole, command) + ParseAll(segmented, command); // warm-up: tables and scratch grow here

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 5; round++)
        {
            checksum += ParseAll(whole, command);
            checksum += ParseAll(segmented, command);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(12 * 600, checksum / 300_000); // 12 passes of 600 commands: every command was read
    }

    private static long ParseAll(ReadOnlySequence<byte> buffer, RespCommand command)
    {
        long checksum = 0;
        while (RespRequestReader.TryRead(ref buffer, command, RespLimits.Default, out _))
        {
            checksum += 300_000 + (int)command.Kind;
            for (int i = 0; i < command.Count; i++)
            {
                checksum += command.GetArgument(i).Length > 0 ? 0 : 1;
            }
        }

        return checksum;
    }
}
