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

    [Fact]
    public void AnAnnouncedBulkLengthAllocatesNothingUntilItsBytesArrive()
    {
        // 60 MB announced, within the limit (512 MiB by default), with only a few of its bytes sent so far: a lying or
        // slow client must not make the parser reserve the announced size.
        byte[] header = Ascii("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$60000000\r\nabc");
        var command = new RespCommand();
        var warm = new ReadOnlySequence<byte>(header);
        Assert.False(RespRequestReader.TryRead(ref warm, command, RespLimits.Default, out var error));
        Assert.False(error.IsError);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            var partial = new ReadOnlySequence<byte>(header);
            Assert.False(RespRequestReader.TryRead(ref partial, command, RespLimits.Default, out error));
            Assert.False(error.IsError);
            Assert.Equal(header.Length, partial.Length); // nothing consumed: the caller waits for more bytes
        }

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
    }

    [Fact]
    public void AValueOfSeveralMegabytesInManySegmentsIsReadWhole()
    {
        // 4 MB, as Redis's own "very big payload" test sends, arriving in 64 KiB segments.
        byte[] value = new byte[4_000_000];
        new Random(7).NextBytes(value);
        var bytes = new List<byte>(Ascii("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4000000\r\n"));
        bytes.AddRange(value);
        bytes.AddRange(Ascii("\r\n"));
        var cuts = new List<int>();
        for (int at = 65536; at < bytes.Count; at += 65536)
        {
            cuts.Add(at);
        }

        ReadOnlySequence<byte> sequence = RespSegmentedSequence.Create(bytes.ToArray(), cuts.ToArray());
        var command = new RespCommand();
        Assert.True(RespRequestReader.TryRead(ref sequence, command, RespLimits.Default, out _));
        Assert.True(sequence.IsEmpty);
        Assert.True(command.GetArgument(2).SequenceEqual(value));
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
