using System.Text;
using System.Threading.Channels;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>One connection in MONITOR mode: the commands other connections run, one line each, as Redis prints them.</summary>
/// <remarks>
/// Lines are queued (bounded: 10000) and written by a pump of their own, so the connection that ran a command never
/// waits on a monitor's socket. A monitor that falls 10000 lines behind is disconnected, as Redis disconnects a client
/// past its output buffer limit: a slow reader must not make the node buffer without bound.
/// </remarks>
internal sealed class RespMonitor
{
    private const int MaxQueued = 10_000;

    private readonly Channel<byte[]> _lines = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(MaxQueued)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public RespMonitor(RespSession session)
    {
        Session = session;
    }

    public RespSession Session { get; }

    /// <summary>Starts writing queued lines to the monitor's connection.</summary>
    public void Start()
    {
        using (ExecutionContext.SuppressFlow())
            _ = PumpAsync();
    }

    public void Send(byte[] line)
    {
        if (!_lines.Writer.TryWrite(line))
        {
            _lines.Writer.TryComplete();
            Session.Kill();
        }
    }

    public void Stop() => _lines.Writer.TryComplete();

    private async Task PumpAsync()
    {
        var reader = _lines.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (!await Session.WriteOutOfBandAsync(reader).ConfigureAwait(false))
            {
                Stop();
                return;
            }
        }
    }

    /// <summary><c>+1700000000.123456 [0 127.0.0.1:50000] "set" "k" "v"</c>, arguments quoted as Redis's sdscatrepr does.</summary>
    public static byte[] Format(RespSession from, RespCommand c)
    {
        var now = DateTimeOffset.UtcNow;
        var micros = now.ToUnixTimeMilliseconds() * 1000 + (now.Ticks / 10 % 1000);
        var text = new StringBuilder();
        text.Append('+').Append(micros / 1_000_000).Append('.').Append((micros % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture))
            .Append(" [0 ").Append(from.Address).Append(']');
        for (var i = 0; i < c.Count; i++)
        {
            text.Append(' ');
            AppendQuoted(text, c.GetArgument(i));
        }
        text.Append("\r\n");
        return Encoding.Latin1.GetBytes(text.ToString());
    }

    private static void AppendQuoted(StringBuilder text, ReadOnlySpan<byte> arg)
    {
        text.Append('"');
        foreach (var b in arg)
        {
            switch (b)
            {
                case (byte)'\\': text.Append("\\\\"); break;
                case (byte)'"': text.Append("\\\""); break;
                case (byte)'\n': text.Append("\\n"); break;
                case (byte)'\r': text.Append("\\r"); break;
                case (byte)'\t': text.Append("\\t"); break;
                case 7: text.Append("\\a"); break;
                case 8: text.Append("\\b"); break;
                default:
                    if (b >= 32 && b < 127)
                        text.Append((char)b);
                    else
                        text.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    break;
            }
        }
        text.Append('"');
    }
}
