using System.Buffers;
using System.Text;
using FastDht.Engine.Plugins;
using FastDht.Engine.Transport;

namespace FastDht.Engine.Tests.Plugins;

/// <summary>
/// An application-defined wire protocol, as an embedder would write one: text lines "PUT key value", "GET key",
/// "DEL key", answered "OK", "VALUE v", "NONE" or "ERR why". It uses only the public plugin API.
/// </summary>
internal sealed class LineProtocol : IWireProtocol
{
    public string Name => "line";

    public async ValueTask RunConnectionAsync(SocketConnection connection, INodeContext node)
    {
        try
        {
            while (true)
            {
                var result = await connection.Input.ReadAsync();
                var buffer = result.Buffer;
                while (TryReadLine(ref buffer, out var line))
                {
                    var reply = await ExecuteAsync(node, line);
                    var writer = await connection.EnterWriteAsync();
                    writer.Write(Encoding.UTF8.GetBytes(reply + "\n"));
                    await connection.ExitWriteAsync();
                }
                connection.Input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                    break;
            }
        }
        finally
        {
            await connection.CloseAsync(TimeSpan.FromSeconds(1));
        }
    }

    private static async ValueTask<string> ExecuteAsync(INodeContext node, string line)
    {
        var parts = line.Split(' ', 3);
        var key = parts.Length > 1 ? Encoding.UTF8.GetBytes(parts[1]) : [];
        KeyOperationResult r;
        switch (parts[0])
        {
            case "PUT" when parts.Length == 3:
                r = await node.PutAsync(key, Encoding.UTF8.GetBytes(parts[2]));
                break;
            case "GET" when parts.Length == 2:
                r = await node.GetAsync(key);
                if (r.Status == KeyOperationStatus.Ok)
                    return "VALUE " + Encoding.UTF8.GetString(r.Value.Span);
                break;
            case "DEL" when parts.Length == 2:
                r = await node.DeleteAsync(key);
                break;
            case "OWNER" when parts.Length == 2:
                return "NODE " + node.OwnerOf(key);
            default:
                return "ERR unknown";
        }
        return r.Status switch
        {
            KeyOperationStatus.Ok => "OK",
            KeyOperationStatus.NotFound => "NONE",
            _ => "ERR " + r.Error,
        };
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out string line)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (reader.TryReadTo(out ReadOnlySequence<byte> bytes, (byte)'\n'))
        {
            line = Encoding.UTF8.GetString(bytes).TrimEnd('\r');
            buffer = buffer.Slice(reader.Position);
            return true;
        }
        line = "";
        return false;
    }
}
