using System.Buffers;
using System.Text;
using FastDht.Protocol.Resp;

namespace FastDht.Protocol.Tests.Resp;

/// <summary>Test-side encoder (written independently of the parser) and a drain-everything helper.</summary>
internal static class RespTestCodec
{
    public static byte[] Ascii(string text) => Encoding.Latin1.GetBytes(text);

    public static byte[] Multibulk(params byte[][] args)
    {
        var output = new List<byte>();
        output.AddRange(Ascii("*" + args.Length + "\r\n"));
        foreach (byte[] arg in args)
        {
            output.AddRange(Ascii("$" + arg.Length + "\r\n"));
            output.AddRange(arg);
            output.AddRange(Ascii("\r\n"));
        }

        return output.ToArray();
    }

    public static byte[] Multibulk(params string[] args) => Multibulk(args.Select(Ascii).ToArray());

    public static byte[][] Arguments(RespCommand command)
    {
        var args = new byte[command.Count][];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = command.GetArgument(i).ToArray();
            Assert.Equal(args[i], command.GetArgumentSequence(i).ToArray());
            Assert.Equal(args[i].Length, command.GetArgumentLength(i));
        }

        return args;
    }

    public static string[] Strings(RespCommand command) => Arguments(command).Select(a => Encoding.Latin1.GetString(a)).ToArray();

    /// <summary>Reads every command in <paramref name="buffer"/>; the error if one ends the stream.</summary>
    public static (List<string[]> Commands, RespError Error, long Left) ReadAll(
        ReadOnlySequence<byte> buffer, RespLimits? limits = null)
    {
        var command = new RespCommand();
        var commands = new List<string[]>();
        RespError error;
        for (int guard = 0; guard < 100_000; guard++)
        {
            if (!RespRequestReader.TryRead(ref buffer, command, limits ?? RespLimits.Default, out error))
            {
                return (commands, error, buffer.Length);
            }

            commands.Add(Strings(command));
        }

        throw new InvalidOperationException("more than 100,000 commands");
    }

    public static string Render(IEnumerable<string[]> commands) =>
        string.Join(" | ", commands.Select(c => string.Join(",", c.Select(a => "[" + a + "]"))));
}
