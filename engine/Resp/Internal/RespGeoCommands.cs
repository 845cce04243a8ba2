using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// GEOADD, GEOPOS, GEODIST, GEOHASH and the searches (RespGeoCommands.Search.cs) on a sorted set whose scores are
/// Redis's 52-bit geohashes (src/geo.c, geohash.c, geohash_helper.c of Redis 7.0.15), so a set filled here reads the
/// same in Redis and back.
/// </summary>
/// <remarks>
/// A position is stored as the score of its member: longitude and latitude scaled to 26 bits each over
/// [-180, 180] x [-85.05112878, 85.05112878] and interleaved (latitude in the even bits), as an integer below 2^52
/// that a double holds exactly. GEOADD is ZADD of those scores (it runs FastDht's ZADD, so its write is ZADD's).
/// Reading decodes a score to the centre of its cell, as Redis does.
/// </remarks>
internal static partial class RespGeoCommands
{
    private const double LongitudeMin = -180;
    private const double LongitudeMax = 180;
    private const double LatitudeMin = -85.05112878;
    private const double LatitudeMax = 85.05112878;
    private const int Step = 26; // 26 bits a coordinate: 52-bit scores
    private const double DegreesToRadians = Math.PI / 180.0;
    private const double EarthRadiusInMeters = 6372797.560856;

    /// <summary>Executes one of this class's commands; false when <paramref name="c"/> is not one of them.</summary>
    public static bool TryExecute(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        switch (c.Kind)
        {
            case RespCommandKind.GeoAdd:
                GeoAdd(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.GeoPos:
                GeoPos(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.GeoDist:
                GeoDist(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.GeoHash:
                GeoHash(c, w, keyspace, respVersion);
                return true;
            case RespCommandKind.GeoSearch:
            case RespCommandKind.GeoSearchStore:
            case RespCommandKind.GeoRadiusRo:
            case RespCommandKind.GeoRadiusByMemberRo:
                Search(c, w, keyspace, respVersion);
                return true;
            default:
                return false;
        }
    }

    /// <summary>GEOADD key [NX|XX] [CH] longitude latitude member...: ZADD key [options] score member... with each position's geohash as the score.</summary>
    private static void GeoAdd(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        bool nx = false, xx = false;
        var first = 2;
        for (; first < c.Count; first++)
        {
            var option = c.GetArgument(first);
            if (Ascii.EqualsIgnoreCase(option, "NX"u8))
                nx = true;
            else if (Ascii.EqualsIgnoreCase(option, "XX"u8))
                xx = true;
            else if (!Ascii.EqualsIgnoreCase(option, "CH"u8))
                break;
        }
        if ((c.Count - first) % 3 != 0 || (nx && xx))
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        var elements = (c.Count - first) / 3;
        var scores = new long[elements];
        for (var i = 0; i < elements; i++)
        {
            if (!TryParseLongLat(c, first + (i * 3), w, out var longitude, out var latitude))
                return;
            scores[i] = (long)Encode(longitude, latitude, LongitudeMin, LongitudeMax, LatitudeMin, LatitudeMax);
        }

        // The same command as ZADD, as Redis runs it: its options and reply, FastDht's sorted-set write.
        var zadd = new List<byte[]>(first + (elements * 2)) { "ZADD"u8.ToArray() };
        for (var i = 1; i < first; i++)
            zadd.Add(c.GetArgument(i).ToArray());
        for (var i = 0; i < elements; i++)
        {
            zadd.Add(Encoding.ASCII.GetBytes(scores[i].ToString(CultureInfo.InvariantCulture)));
            zadd.Add(c.GetArgument(first + (i * 3) + 2).ToArray());
        }
        using var command = Parse(zadd);
        RespSortedSetCommands.TryExecute(command, w, keyspace, respVersion);
    }

    private static RespCommand Parse(List<byte[]> args)
    {
        var encoded = new ArrayBufferWriter<byte>();
        encoded.Write(Encoding.ASCII.GetBytes($"*{args.Count}\r\n"));
        foreach (var arg in args)
        {
            encoded.Write(Encoding.ASCII.GetBytes($"${arg.Length}\r\n"));
            encoded.Write(arg);
            encoded.Write("\r\n"u8);
        }
        var command = new RespCommand();
        var bytes = new ReadOnlySequence<byte>(encoded.WrittenMemory);
        RespRequestReader.TryRead(ref bytes, command, new RespLimits { MaxBulkLength = int.MaxValue }, out _);
        return command;
    }

    /// <summary>A longitude and latitude at <paramref name="index"/>, within Redis's bounds; false with Redis's error written.</summary>
    private static bool TryParseLongLat(RespCommand c, int index, IBufferWriter<byte> w, out double longitude, out double latitude)
    {
        latitude = 0;
        if (!TryParseDouble(c.GetArgument(index), out longitude) || !TryParseDouble(c.GetArgument(index + 1), out latitude))
        {
            RespWriter.WriteRaw(w, "-ERR value is not a valid float\r\n"u8);
            return false;
        }
        if (longitude < LongitudeMin || longitude > LongitudeMax || latitude < LatitudeMin || latitude > LatitudeMax)
        {
            RespWriter.WriteError(w, Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $"invalid longitude,latitude pair {longitude:F6},{latitude:F6}")));
            return false;
        }
        return true;
    }

    /// <summary>Redis's getDoubleFromObject: the whole argument a number (no spaces), not NaN.</summary>
    private static bool TryParseDouble(ReadOnlySpan<byte> text, out double value) => RespStringCommands.TryParseFloat(text, out value);

    /// <summary>geohashEncode: both coordinates scaled to <see cref="Step"/> bits of their range and interleaved (latitude in the even bits).</summary>
    private static ulong Encode(double longitude, double latitude, double longMin, double longMax, double latMin, double latMax)
    {
        var latOffset = (latitude - latMin) / (latMax - latMin);
        var longOffset = (longitude - longMin) / (longMax - longMin);
        latOffset *= 1UL << Step;
        longOffset *= 1UL << Step;
        return Interleave((uint)latOffset, (uint)longOffset);
    }

    private static ulong Spread(uint value)
    {
        ulong x = value;
        x = (x | (x << 16)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x << 8)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x << 2)) & 0x3333333333333333UL;
        x = (x | (x << 1)) & 0x5555555555555555UL;
        return x;
    }

    private static ulong Interleave(uint even, uint odd) => Spread(even) | (Spread(odd) << 1);

    private static uint Compact(ulong x)
    {
        x &= 0x5555555555555555UL;
        x = (x | (x >> 1)) & 0x3333333333333333UL;
        x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FUL;
        x = (x | (x >> 4)) & 0x00FF00FF00FF00FFUL;
        x = (x | (x >> 8)) & 0x0000FFFF0000FFFFUL;
        x = (x | (x >> 16)) & 0x00000000FFFFFFFFUL;
        return (uint)x;
    }

    /// <summary>decodeGeohash: a score to the centre of its cell (longitude, latitude), clamped to the bounds.</summary>
    private static (double Longitude, double Latitude) Decode(double score)
    {
        var bits = (ulong)score;
        var latitudeCell = Compact(bits);
        var longitudeCell = Compact(bits >> 1);
        const double latScale = LatitudeMax - LatitudeMin;
        const double longScale = LongitudeMax - LongitudeMin;
        const double cells = 1UL << Step;
        var latMin = LatitudeMin + (latitudeCell * 1.0 / cells * latScale);
        var latMax = LatitudeMin + ((latitudeCell + 1UL) * 1.0 / cells * latScale);
        var longMin = LongitudeMin + (longitudeCell * 1.0 / cells * longScale);
        var longMax = LongitudeMin + ((longitudeCell + 1UL) * 1.0 / cells * longScale);
        var longitude = Math.Clamp((longMin + longMax) / 2, LongitudeMin, LongitudeMax);
        var latitude = Math.Clamp((latMin + latMax) / 2, LatitudeMin, LatitudeMax);
        return (longitude, latitude);
    }

    /// <summary>The sorted set at key 1 with its members' scores; false with WRONGTYPE written. An absent key gives none.</summary>
    private static bool TryReadScores(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, out Dictionary<ReadOnlyMemory<byte>, double> scores, out bool present)
    {
        scores = new Dictionary<ReadOnlyMemory<byte>, double>(RespCollections.BytesComparer.Instance);
        present = false;
        if (!RespCollections.TryRead(keyspace, c.GetArgument(1), EntryType.SortedSet, w, out var value))
            return false;
        present = !value.IsEmpty;
        var members = new List<ScoredMember>();
        CollectionCodec.DecodeScored(value, members);
        foreach (var m in members)
            scores.TryAdd(m.Member, m.Score);
        return true;
    }

    private static bool TryScore(Dictionary<ReadOnlyMemory<byte>, double> scores, ReadOnlySpan<byte> member, out double score) =>
        scores.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(member, out score);

    /// <summary>GEOPOS key member...: each member's position (longitude, latitude) or a null array.</summary>
    private static void GeoPos(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        if (!TryReadScores(c, w, keyspace, out var scores, out _))
            return;
        RespWriter.WriteArrayHeader(w, c.Count - 2);
        for (var i = 2; i < c.Count; i++)
        {
            if (!TryScore(scores, c.GetArgument(i), out var score))
            {
                RespWriter.WriteRaw(w, respVersion == 3 ? RespReplies.Null3 : RespReplies.NullArray);
                continue;
            }
            var (longitude, latitude) = Decode(score);
            RespWriter.WriteArrayHeader(w, 2);
            WriteHumanDouble(w, longitude, respVersion);
            WriteHumanDouble(w, latitude, respVersion);
        }
    }

    /// <summary>Redis's addReplyHumanLongDouble: <c>%.17Lf</c> without trailing zeros (a bulk string, a RESP3 double).</summary>
    private static void WriteHumanDouble(IBufferWriter<byte> w, double value, int respVersion)
    {
        var text = value.ToString("F17", CultureInfo.InvariantCulture);
        if (text.Contains('.', StringComparison.Ordinal))
            text = text.TrimEnd('0').TrimEnd('.');
        if (text == "-0")
            text = "0";
        if (respVersion == 3)
            RespWriter.WriteRaw(w, Encoding.ASCII.GetBytes("," + text + "\r\n"));
        else
            RespWriter.WriteBulkString(w, Encoding.ASCII.GetBytes(text));
    }

    /// <summary>The factor from the unit to meters (m, km, ft, mi, any case); false with Redis's error written.</summary>
    private static bool TryParseUnit(ReadOnlySpan<byte> unit, IBufferWriter<byte> w, out double toMeters)
    {
        toMeters = Ascii.EqualsIgnoreCase(unit, "m"u8) ? 1
            : Ascii.EqualsIgnoreCase(unit, "km"u8) ? 1000
            : Ascii.EqualsIgnoreCase(unit, "ft"u8) ? 0.3048
            : Ascii.EqualsIgnoreCase(unit, "mi"u8) ? 1609.34
            : -1;
        if (toMeters > 0)
            return true;
        RespWriter.WriteError(w, "unsupported unit provided. please use M, KM, FT, MI"u8);
        return false;
    }

    /// <summary>GEODIST key member1 member2 [unit]: the haversine distance, 4 decimals; null when a member is missing.</summary>
    private static void GeoDist(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        var toMeters = 1.0;
        if (c.Count == 5 && !TryParseUnit(c.GetArgument(4), w, out toMeters))
            return;
        if (c.Count > 5)
        {
            RespWriter.WriteRaw(w, RespReplies.SyntaxError);
            return;
        }
        if (!TryReadScores(c, w, keyspace, out var scores, out _))
            return;
        if (!TryScore(scores, c.GetArgument(2), out var first) || !TryScore(scores, c.GetArgument(3), out var second))
        {
            RespKeyCommands.WriteNull(w, respVersion);
            return;
        }
        var (long1, lat1) = Decode(first);
        var (long2, lat2) = Decode(second);
        WriteDistance(w, Distance(long1, lat1, long2, lat2) / toMeters);
    }

    /// <summary>geohashGetDistance: the haversine great-circle distance in meters, Redis's order of operations.</summary>
    private static double Distance(double long1, double lat1, double long2, double lat2)
    {
        var long1r = long1 * DegreesToRadians;
        var long2r = long2 * DegreesToRadians;
        var v = Math.Sin((long2r - long1r) / 2);
        if (v == 0.0)
            return EarthRadiusInMeters * Math.Abs((lat2 * DegreesToRadians) - (lat1 * DegreesToRadians));
        var lat1r = lat1 * DegreesToRadians;
        var lat2r = lat2 * DegreesToRadians;
        var u = Math.Sin((lat2r - lat1r) / 2);
        var a = (u * u) + (Math.Cos(lat1r) * Math.Cos(lat2r) * v * v);
        return 2.0 * EarthRadiusInMeters * Math.Asin(Math.Sqrt(a));
    }

    /// <summary>Redis's addReplyDoubleDistance: rounded to 4 decimals (llrint, ties to even), printed in fixed point.</summary>
    private static void WriteDistance(IBufferWriter<byte> w, double distance)
    {
        var scaled = (long)Math.Round(distance * 10000.0, MidpointRounding.ToEven);
        Span<byte> text = stackalloc byte[32];
        var negative = scaled < 0;
        var magnitude = negative ? (ulong)-scaled : (ulong)scaled;
        var n = 0;
        if (negative)
            text[n++] = (byte)'-';
        Utf8Formatter.TryFormat(magnitude / 10000, text[n..], out var written);
        n += written;
        text[n++] = (byte)'.';
        Utf8Formatter.TryFormat(magnitude % 10000, text[n..], out written, new StandardFormat('D', 4));
        n += written;
        RespWriter.WriteBulkString(w, text[..n]);
    }

    /// <summary>GEOHASH key member...: the standard 11-character geohash of each member (re-encoded over latitude -90..90), or null.</summary>
    private static void GeoHash(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        ReadOnlySpan<byte> alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"u8;
        if (!TryReadScores(c, w, keyspace, out var scores, out _))
            return;
        RespWriter.WriteArrayHeader(w, c.Count - 2);
        Span<byte> hash = stackalloc byte[11];
        for (var i = 2; i < c.Count; i++)
        {
            if (!TryScore(scores, c.GetArgument(i), out var score))
            {
                RespKeyCommands.WriteNull(w, respVersion);
                continue;
            }
            var (longitude, latitude) = Decode(score);
            var bits = Encode(longitude, latitude, -180, 180, -90, 90);
            for (var j = 0; j < 11; j++)
            {
                // 52 bits make 10 characters and 2 bits; Redis's 11th character is always '0'.
                var index = j == 10 ? 0 : (int)((bits >> (52 - ((j + 1) * 5))) & 0x1f);
                hash[j] = alphabet[index];
            }
            RespWriter.WriteBulkString(w, hash);
        }
    }
}
