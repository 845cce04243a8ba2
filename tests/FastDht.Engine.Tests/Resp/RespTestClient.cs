using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FastDht.Engine.Tests.Resp;

/// <summary>A raw RESP client for byte-level tests: sends exactly the bytes given and reads whole replies back as text.</summary>
internal sealed class RespTestClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RespTestClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _stream.ReadTimeout = 20_000;
    }

    public static async Task<RespTestClient> ConnectAsync(IPEndPoint endPoint)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(endPoint).WaitAsync(TimeSpan.FromSeconds(20));
        tcp.NoDelay = true;
        return new RespTestClient(tcp);
    }

    public Task SendAsync(string raw) => SendAsync(Encoding.Latin1.GetBytes(raw));

    public async Task SendAsync(byte[] raw) => await _stream.WriteAsync(raw).AsTask().WaitAsync(TimeSpan.FromSeconds(20));

    /// <summary>Sends one command as a multibulk array and reads its reply.</summary>
    public async Task<string> CallAsync(params string[] args)
    {
        await SendAsync(Encode(args));
        return await ReadReplyAsync();
    }

    public static string Encode(params string[] args)
    {
        var text = new StringBuilder();
        text.Append('*').Append(args.Length).Append("\r\n");
        foreach (var a in args)
            text.Append('$').Append(Encoding.Latin1.GetByteCount(a)).Append("\r\n").Append(a).Append("\r\n");
        return text.ToString();
    }

    /// <summary>Reads one whole reply (nested aggregates included) and returns its bytes as Latin-1 text.</summary>
    public async Task<string> ReadReplyAsync()
    {
        var text = new StringBuilder();
        await ReadValueAsync(text);
        return text.ToString();
    }

    /// <summary>True when the server closed the connection (reads 0 bytes) within the time limit.</summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        if (_start < _end)
            return false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            return await _stream.ReadAsync(_buffer, timeout.Token) == 0;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task ReadValueAsync(StringBuilder text)
    {
        var line = await ReadLineAsync();
        text.Append(line).Append("\r\n");
        switch (line[0])
        {
            case '$':
            case '=':
            {
                var length = int.Parse(line.AsSpan(1));
                if (length >= 0)
                {
                    text.Append(await ReadExactAsync(length + 2));
                }
                break;
            }
            case '*':
            case '~':
            case '>':
            {
                var count = int.Parse(line.AsSpan(1));
                for (var i = 0; i < count; i++)
                    await ReadValueAsync(text);
                break;
            }
            case '%':
            {
                var count = int.Parse(line.AsSpan(1));
                for (var i = 0; i < 2 * count; i++)
                    await ReadValueAsync(text);
                break;
            }
        }
    }

    private async Task<string> ReadLineAsync()
    {
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var lf = span.IndexOf((byte)'\n');
            if (lf > 0 && span[lf - 1] == '\r')
            {
                var line = Encoding.Latin1.GetString(span[..(lf - 1)]);
                _start += lf + 1;
                return line;
            }
            await FillAsync();
        }
    }

    private async Task<string> ReadExactAsync(int count)
    {
        var text = new StringBuilder();
        while (count > 0)
        {
            if (_start == _end)
                await FillAsync();
            var take = Math.Min(count, _end - _start);
            text.Append(Encoding.Latin1.GetString(_buffer, _start, take));
            _start += take;
            count -= take;
        }
        return text.ToString();
    }

    private async Task FillAsync()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var n = await _stream.ReadAsync(_buffer.AsMemory(_end), timeout.Token);
        if (n == 0)
            throw new IOException("the server closed the connection");
        _end += n;
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
