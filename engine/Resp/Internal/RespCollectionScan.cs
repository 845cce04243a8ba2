using System.Buffers;
using System.Buffers.Text;
using FastDht.Engine.CommandTable;
using FastDht.Protocol.Resp;

namespace FastDht.Engine.Resp.Internal;

/// <summary>HSCAN, SSCAN and ZSCAN's arguments and reply, and the random picks of HRANDFIELD, SRANDMEMBER and SPOP.</summary>
/// <remarks>
/// A collection is one value, so a scan answers it whole in one reply with cursor 0, as Redis does for its compact
/// encodings: every element present throughout is returned exactly once, whatever COUNT says.
/// </remarks>
internal static class RespCollectionScan
{
    /// <summary>key cursor [MATCH pattern] [COUNT n]: false with Redis's error written when invalid.</summary>
    public static bool TryParse(RespCommand c, IBufferWriter<byte> w, out byte[]? pattern)
    {
        pattern = null;
        if (!Utf8Parser.TryParse(c.GetArgument(2), out ulong _, out var used) || used != c.GetArgumentLength(2))
        {
            RespWriter.WriteError(w, "invalid cursor"u8);
            return false;
        }
        for (var i = 3; i < c.Count; i += 2)
        {
            if (i + 1 >= c.Count)
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return false;
            }
            if (c.ArgumentEquals(i, "MATCH"u8))
            {
                pattern = c.GetArgument(i + 1).ToArray();
            }
            else if (c.ArgumentEquals(i, "COUNT"u8))
            {
                if (!c.TryGetInt64(i + 1, out var count))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return false;
                }
                if (count < 1)
                {
                    RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                    return false;
                }
            }
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// <c>["0", [items]]</c>: every element (stride 1) or every field and value, member and score (stride 2) whose first
    /// part matches the pattern.
    /// </summary>
    public static void Write(IBufferWriter<byte> w, List<ReadOnlyMemory<byte>> elements, int stride, byte[]? pattern)
    {
        var matched = new List<int>(elements.Count / stride);
        for (var i = 0; i < elements.Count; i += stride)
        {
            if (pattern is null || RespGlob.IsMatch(pattern, elements[i].Span))
                matched.Add(i);
        }
        RespWriter.WriteArrayHeader(w, 2);
        RespWriter.WriteBulkString(w, "0"u8);
        RespWriter.WriteArrayHeader(w, matched.Count * stride);
        foreach (var i in matched)
        {
            for (var k = 0; k < stride; k++)
                RespWriter.WriteBulkString(w, elements[i + k].Span);
        }
    }

    /// <summary>The most picks one reply may carry with repeats (a negative count): 16 Mi, so a client cannot make the node build a reply of any size.</summary>
    public const long MaxPicks = 1 << 24;

    /// <summary>False with an error written when a negative count asks for more than <see cref="MaxPicks"/>.</summary>
    public static bool CheckPicks(long count, IBufferWriter<byte> w)
    {
        if (count >= -MaxPicks)
            return true;
        RespWriter.WriteError(w, "value is out of range (FastDht answers at most 16777216 random picks with repeats)"u8);
        return false;
    }

    /// <summary>
    /// Random positions among <paramref name="size"/>: <paramref name="count"/> distinct ones (at most all) when positive,
    /// |count| with repeats when negative, as Redis's HRANDFIELD/SRANDMEMBER/ZRANDMEMBER pick.
    /// </summary>
    public static List<int> Pick(int size, long count)
    {
        var picks = new List<int>();
        if (size == 0 || count == 0)
            return picks;
        if (count < 0)
        {
            var n = -count;
            picks.Capacity = (int)Math.Min(n, 1 << 20);
            for (long i = 0; i < n; i++)
                picks.Add(Random.Shared.Next(size));
            return picks;
        }
        if (count >= size)
        {
            for (var i = 0; i < size; i++)
                picks.Add(i);
            return picks;
        }
        // A partial Fisher-Yates shuffle: count distinct positions in O(size).
        var all = new int[size];
        for (var i = 0; i < size; i++)
            all[i] = i;
        for (var i = 0; i < count; i++)
        {
            var j = Random.Shared.Next(i, size);
            (all[i], all[j]) = (all[j], all[i]);
            picks.Add(all[i]);
        }
        return picks;
    }
}
