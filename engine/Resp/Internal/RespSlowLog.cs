using System.Buffers;
using System.Text;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>SLOWLOG: the latest commands that took longer than the threshold, newest first, as Redis keeps them.</summary>
/// <remarks>
/// An entry keeps at most 32 arguments of at most 128 bytes each (Redis's SLOWLOG_ENTRY_MAX_ARGC/STRING), so a slow
/// command with a huge value costs a few KB here, not its size. Only slow commands reach this class.
/// </remarks>
internal sealed class RespSlowLog(int maxLength)
{
    private const int MaxArguments = 32;
    private const int MaxArgumentLength = 128;

    private readonly Lock _sync = new();
    private readonly LinkedList<Entry> _entries = new();
    private long _nextId;
    private int _maxLength = maxLength;

    /// <summary>Redis's slowlog-max-len: entries kept. Defaults to 128.</summary>
    public int MaxLength
    {
        get => Volatile.Read(ref _maxLength);
        set
        {
            lock (_sync)
            {
                _maxLength = value;
                Trim();
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_sync)
                return _entries.Count;
        }
    }

    public void Add(RespCommand c, long micros, string client, string name)
    {
        var shown = Math.Min(c.Count, MaxArguments);
        var args = new byte[shown][];
        for (var i = 0; i < shown; i++)
        {
            if (i == MaxArguments - 1 && c.Count > MaxArguments)
            {
                args[i] = Encoding.ASCII.GetBytes($"... ({c.Count - MaxArguments + 1} more arguments)");
                break;
            }
            var arg = c.GetArgument(i);
            args[i] = arg.Length <= MaxArgumentLength
                ? arg.ToArray()
                : [.. arg[..MaxArgumentLength], .. Encoding.ASCII.GetBytes($"... ({arg.Length - MaxArgumentLength} more bytes)")];
        }
        var entry = new Entry(0, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), micros, args, client, name);
        lock (_sync)
        {
            _entries.AddFirst(entry with { Id = _nextId++ });
            Trim();
        }
    }

    public void Reset()
    {
        lock (_sync)
            _entries.Clear();
    }

    /// <summary>SLOWLOG GET [count]: the newest <paramref name="count"/> entries (all when negative).</summary>
    public void Write(IBufferWriter<byte> w, long count)
    {
        List<Entry> entries;
        lock (_sync)
        {
            entries = new List<Entry>(_entries.Count);
            foreach (var entry in _entries)
            {
                if (count >= 0 && entries.Count >= count)
                    break;
                entries.Add(entry);
            }
        }
        RespWriter.WriteArrayHeader(w, entries.Count);
        foreach (var e in entries)
        {
            RespWriter.WriteArrayHeader(w, 6);
            RespWriter.WriteInteger(w, e.Id);
            RespWriter.WriteInteger(w, e.UnixSeconds);
            RespWriter.WriteInteger(w, e.Micros);
            RespWriter.WriteArrayHeader(w, e.Arguments.Length);
            foreach (var arg in e.Arguments)
                RespWriter.WriteBulkString(w, arg);
            RespWriter.WriteBulkString(w, Encoding.UTF8.GetBytes(e.Client));
            RespWriter.WriteBulkString(w, Encoding.UTF8.GetBytes(e.Name));
        }
    }

    private void Trim()
    {
        while (_entries.Count > Math.Max(_maxLength, 0))
            _entries.RemoveLast();
    }

    private sealed record Entry(long Id, long UnixSeconds, long Micros, byte[][] Arguments, string Client, string Name);
}
