using System.Buffers;
using System.Text;
using FastDht.Engine.Keyspace;
using FastDht.Protocol.Resp;
using FastDht.Storage;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// GEOSEARCH, GEOSEARCHSTORE, GEORADIUS_RO and GEORADIUSBYMEMBER_RO: Redis's georadiusGeneric (geo.c) and the search
/// areas of geohash_helper.c, step for step, so the same members come back in the same order.
/// </summary>
/// <remarks>
/// The search covers the shape with the geohash cell of the centre at a precision estimated from the radius and its
/// eight neighbours (fewer when a neighbour lies outside the shape's bounding box), reads each cell's score range of the
/// sorted set, and keeps the members inside the circle or box. Without ASC/DESC the members come in that order; a
/// sort by distance is stable for equal distances (Redis's qsort is glibc's merge sort, stable too; with COUNT smaller
/// than the matches Redis's partial quicksort may order equal distances otherwise).
/// </remarks>
internal static partial class RespGeoCommands
{
    private const double MercatorMax = 20037726.37;

    [Flags]
    private enum SearchFlags
    {
        None = 0,
        Coords = 1,     // GEORADIUS_RO: around a longitude/latitude
        Member = 2,     // GEORADIUSBYMEMBER_RO: around a member
        NoStore = 4,    // the _RO forms: no STORE/STOREDIST
        Search = 8,     // GEOSEARCH's arguments
        SearchStore = 16, // GEOSEARCHSTORE: a destination first, STOREDIST a flag
    }

    /// <summary>The area searched: a circle of a radius or a box of a width and height, around a centre, in a unit.</summary>
    private struct Shape
    {
        public bool IsBox;
        public double Longitude;
        public double Latitude;
        public double Radius;
        public double Width;
        public double Height;
        public double Conversion;
        public double MinLongitude;
        public double MinLatitude;
        public double MaxLongitude;
        public double MaxLatitude;
    }

    /// <summary>A geohash of <see cref="Step"/> bits a coordinate (a zero step and bits: no cell).</summary>
    private readonly record struct Cell(ulong Bits, int Step)
    {
        public bool IsZero => Bits == 0 && Step == 0;
    }

    /// <summary>One match: the member, its score, decoded position and distance from the centre (meters).</summary>
    private readonly record struct GeoPoint(ReadOnlyMemory<byte> Member, double Score, double Longitude, double Latitude, double Distance);

    private static SearchFlags FlagsOf(RespCommandKind kind) => kind switch
    {
        RespCommandKind.GeoSearch => SearchFlags.Search,
        RespCommandKind.GeoSearchStore => SearchFlags.Search | SearchFlags.SearchStore,
        RespCommandKind.GeoRadiusRo => SearchFlags.Coords | SearchFlags.NoStore,
        _ => SearchFlags.Member | SearchFlags.NoStore,
    };

    private static void Search(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, int respVersion)
    {
        var flags = FlagsOf(c.Kind);
        var source = (flags & SearchFlags.SearchStore) != 0 ? 2 : 1;
        if (!RespCollections.TryRead(keyspace, c.GetArgument(source), EntryType.SortedSet, w, out var value))
            return;
        var present = !value.IsEmpty;
        var members = new List<ScoredMember>();
        CollectionCodec.DecodeScored(value, members);
        members.Sort(RespSortedSetCommands.Compare);
        var scores = new Dictionary<ReadOnlyMemory<byte>, double>(members.Count, RespCollections.BytesComparer.Instance);
        foreach (var m in members)
            scores.TryAdd(m.Member, m.Score);

        var shape = default(Shape);
        int baseArgs;
        var store = false;
        if ((flags & SearchFlags.Coords) != 0)
        {
            baseArgs = 6;
            if (!TryParseLongLat(c, 2, w, out shape.Longitude, out shape.Latitude) || !TryParseDistance(c, 4, w, ref shape))
                return;
        }
        else if ((flags & SearchFlags.Member) != 0)
        {
            baseArgs = 5;
            if (present)
            {
                if (!TryCentreOnMember(scores, c.GetArgument(2), w, ref shape) || !TryParseDistance(c, 3, w, ref shape))
                    return;
            }
        }
        else
        {
            baseArgs = (flags & SearchFlags.SearchStore) != 0 ? 3 : 2;
            store = (flags & SearchFlags.SearchStore) != 0;
        }

        bool withDist = false, withHash = false, withCoord = false, fromMember = false, fromLonLat = false, byRadius = false, byBox = false;
        bool any = false, storeDist = false;
        var sort = 0; // 0 none, 1 ascending, -1 descending
        long count = 0;
        var remaining = c.Count - baseArgs;
        for (var i = 0; i < remaining; i++)
        {
            var at = baseArgs + i;
            var arg = c.GetArgument(at);
            var search = (flags & SearchFlags.Search) != 0;
            if (Ascii.EqualsIgnoreCase(arg, "WITHDIST"u8))
            {
                withDist = true;
            }
            else if (Ascii.EqualsIgnoreCase(arg, "WITHHASH"u8))
            {
                withHash = true;
            }
            else if (Ascii.EqualsIgnoreCase(arg, "WITHCOORD"u8))
            {
                withCoord = true;
            }
            else if (Ascii.EqualsIgnoreCase(arg, "ANY"u8))
            {
                any = true;
            }
            else if (Ascii.EqualsIgnoreCase(arg, "ASC"u8))
            {
                sort = 1;
            }
            else if (Ascii.EqualsIgnoreCase(arg, "DESC"u8))
            {
                sort = -1;
            }
            else if (Ascii.EqualsIgnoreCase(arg, "COUNT"u8) && i + 1 < remaining)
            {
                if (!c.TryGetInt64(at + 1, out count))
                {
                    RespWriter.WriteRaw(w, RespReplies.NotAnInteger);
                    return;
                }
                if (count <= 0)
                {
                    RespWriter.WriteError(w, "COUNT must be > 0"u8);
                    return;
                }
                i++;
            }
            else if (Ascii.EqualsIgnoreCase(arg, "STOREDIST"u8) && search && (flags & SearchFlags.SearchStore) != 0)
            {
                storeDist = true;
            }
            else if (Ascii.EqualsIgnoreCase(arg, "FROMMEMBER"u8) && i + 1 < remaining && search && !fromLonLat)
            {
                // Without the source key the arguments are still read through, and the reply is the empty one.
                if (present && !TryCentreOnMember(scores, c.GetArgument(at + 1), w, ref shape))
                    return;
                fromMember = true;
                i++;
            }
            else if (Ascii.EqualsIgnoreCase(arg, "FROMLONLAT"u8) && i + 2 < remaining && search && !fromMember)
            {
                if (!TryParseLongLat(c, at + 1, w, out shape.Longitude, out shape.Latitude))
                    return;
                fromLonLat = true;
                i += 2;
            }
            else if (Ascii.EqualsIgnoreCase(arg, "BYRADIUS"u8) && i + 2 < remaining && search && !byBox)
            {
                if (!TryParseDistance(c, at + 1, w, ref shape))
                    return;
                shape.IsBox = false;
                byRadius = true;
                i += 2;
            }
            else if (Ascii.EqualsIgnoreCase(arg, "BYBOX"u8) && i + 3 < remaining && search && !byRadius)
            {
                if (!TryParseBox(c, at + 1, w, ref shape))
                    return;
                shape.IsBox = true;
                byBox = true;
                i += 3;
            }
            else
            {
                RespWriter.WriteRaw(w, RespReplies.SyntaxError);
                return;
            }
        }

        if (store && (withDist || withHash || withCoord))
        {
            RespWriter.WriteError(w, "GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"u8);
            return;
        }
        if ((flags & SearchFlags.Search) != 0 && !(fromMember || fromLonLat))
        {
            WriteNamedError(w, "exactly one of FROMMEMBER or FROMLONLAT can be specified for ", c.GetArgument(0));
            return;
        }
        if ((flags & SearchFlags.Search) != 0 && !(byRadius || byBox))
        {
            WriteNamedError(w, "exactly one of BYRADIUS and BYBOX can be specified for ", c.GetArgument(0));
            return;
        }
        if (any && count == 0)
        {
            RespWriter.WriteError(w, "the ANY argument requires COUNT argument"u8);
            return;
        }
        if (!present)
        {
            if (store)
                StoreResult(c, w, keyspace, [], storeDist, 1);
            else
                RespWriter.WriteRaw(w, RespReplies.EmptyArray);
            return;
        }
        if (count != 0 && sort == 0 && !any)
            sort = 1; // the closest COUNT need an order

        var found = new List<GeoPoint>();
        MembersOfAllNeighbors(members, ref shape, found, any ? count : 0);
        if (found.Count == 0 && !store)
        {
            RespWriter.WriteRaw(w, RespReplies.EmptyArray);
            return;
        }
        var returned = count == 0 || found.Count < count ? found.Count : (int)count;
        if (sort != 0)
            SortByDistance(found, sort);
        if (store)
        {
            StoreResult(c, w, keyspace, found.GetRange(0, returned), storeDist, shape.Conversion);
            return;
        }
        var options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoord ? 1 : 0);
        RespWriter.WriteArrayHeader(w, returned);
        for (var i = 0; i < returned; i++)
        {
            var p = found[i];
            if (options > 0)
                RespWriter.WriteArrayHeader(w, options + 1);
            RespWriter.WriteBulkString(w, p.Member.Span);
            if (withDist)
                WriteDistance(w, p.Distance / shape.Conversion);
            if (withHash)
                RespWriter.WriteInteger(w, (long)p.Score);
            if (withCoord)
            {
                RespWriter.WriteArrayHeader(w, 2);
                WriteHumanDouble(w, p.Longitude, respVersion);
                WriteHumanDouble(w, p.Latitude, respVersion);
            }
        }
    }

    /// <summary>GEOSEARCHSTORE's end: the matches (scores their geohash, or with STOREDIST their distance in the unit) replace the destination; none deletes it.</summary>
    private static void StoreResult(RespCommand c, IBufferWriter<byte> w, LocalKeyspace keyspace, List<GeoPoint> found, bool storeDist, double conversion)
    {
        var result = new List<ScoredMember>(found.Count);
        foreach (var p in found)
            result.Add(new ScoredMember(storeDist ? p.Distance / conversion : p.Score, p.Member));
        result.Sort(RespSortedSetCommands.Compare);
        RespSortedSetCommands.StoreMembers(c, w, keyspace, result);
    }

    private static void WriteNamedError(IBufferWriter<byte> w, string text, ReadOnlySpan<byte> name)
    {
        var message = new byte[text.Length + name.Length];
        Encoding.ASCII.GetBytes(text, message);
        name.CopyTo(message.AsSpan(text.Length));
        RespWriter.WriteError(w, message);
    }

    /// <summary>The search's centre at a member's position; false with Redis's error when the member is absent.</summary>
    private static bool TryCentreOnMember(Dictionary<ReadOnlyMemory<byte>, double> scores, ReadOnlySpan<byte> member, IBufferWriter<byte> w, ref Shape shape)
    {
        if (!TryScore(scores, member, out var score))
        {
            RespWriter.WriteError(w, "could not decode requested zset member"u8);
            return false;
        }
        (shape.Longitude, shape.Latitude) = Decode(score);
        return true;
    }

    /// <summary>extractDistanceOrReply: a radius (not negative) and its unit at <paramref name="index"/>.</summary>
    private static bool TryParseDistance(RespCommand c, int index, IBufferWriter<byte> w, ref Shape shape)
    {
        if (!TryParseDouble(c.GetArgument(index), out var radius))
        {
            RespWriter.WriteError(w, "need numeric radius"u8);
            return false;
        }
        if (radius < 0)
        {
            RespWriter.WriteError(w, "radius cannot be negative"u8);
            return false;
        }
        shape.Radius = radius;
        if (!TryParseUnit(c.GetArgument(index + 1), w, out var conversion))
            return false;
        shape.Conversion = conversion;
        return true;
    }

    /// <summary>extractBoxOrReply: a width and height (not negative) and their unit at <paramref name="index"/>.</summary>
    private static bool TryParseBox(RespCommand c, int index, IBufferWriter<byte> w, ref Shape shape)
    {
        if (!TryParseDouble(c.GetArgument(index), out var width))
        {
            RespWriter.WriteError(w, "need numeric width"u8);
            return false;
        }
        if (!TryParseDouble(c.GetArgument(index + 1), out var height))
        {
            RespWriter.WriteError(w, "need numeric height"u8);
            return false;
        }
        if (height < 0 || width < 0)
        {
            RespWriter.WriteError(w, "height or width cannot be negative"u8);
            return false;
        }
        shape.Width = width;
        shape.Height = height;
        if (!TryParseUnit(c.GetArgument(index + 2), w, out var conversion))
            return false;
        shape.Conversion = conversion;
        return true;
    }

    /// <summary>A stable sort by distance (ascending for 1, descending for -1): equal distances keep the search's order.</summary>
    private static void SortByDistance(List<GeoPoint> found, int direction)
    {
        var order = new int[found.Count];
        for (var i = 0; i < order.Length; i++)
            order[i] = i;
        var points = found.ToArray();
        Array.Sort(order, (a, b) =>
        {
            var byDistance = points[a].Distance.CompareTo(points[b].Distance) * direction;
            return byDistance != 0 ? byDistance : a.CompareTo(b);
        });
        for (var i = 0; i < order.Length; i++)
            found[i] = points[order[i]];
    }

    private static double ToRadians(double degrees) => degrees * DegreesToRadians;

    private static double ToDegrees(double radians) => radians / DegreesToRadians;

    /// <summary>geohashEstimateStepsByRadius: the bits a coordinate for cells about the radius wide (fewer near the poles).</summary>
    private static int EstimateSteps(double rangeMeters, double latitude)
    {
        if (rangeMeters == 0)
            return Step;
        var step = 1;
        while (rangeMeters < MercatorMax)
        {
            rangeMeters *= 2;
            step++;
        }
        step -= 2;
        if (latitude > 66 || latitude < -66)
        {
            step--;
            if (latitude > 80 || latitude < -80)
                step--;
        }
        return Math.Clamp(step, 1, Step);
    }

    /// <summary>geohashBoundingBox: the longitudes and latitudes that bound the shape (its side edges bend with the latitude).</summary>
    private static void BoundingBox(ref Shape shape)
    {
        var height = shape.Conversion * (shape.IsBox ? shape.Height / 2 : shape.Radius);
        var width = shape.Conversion * (shape.IsBox ? shape.Width / 2 : shape.Radius);
        var latDelta = ToDegrees(height / EarthRadiusInMeters);
        var longDeltaTop = ToDegrees(width / EarthRadiusInMeters / Math.Cos(ToRadians(shape.Latitude + latDelta)));
        var longDeltaBottom = ToDegrees(width / EarthRadiusInMeters / Math.Cos(ToRadians(shape.Latitude - latDelta)));
        var southern = shape.Latitude < 0;
        shape.MinLongitude = southern ? shape.Longitude - longDeltaBottom : shape.Longitude - longDeltaTop;
        shape.MaxLongitude = southern ? shape.Longitude + longDeltaBottom : shape.Longitude + longDeltaTop;
        shape.MinLatitude = shape.Latitude - latDelta;
        shape.MaxLatitude = shape.Latitude + latDelta;
    }

    private static Cell EncodeCell(double longitude, double latitude, int step)
    {
        var latOffset = (latitude - LatitudeMin) / (LatitudeMax - LatitudeMin);
        var longOffset = (longitude - LongitudeMin) / (LongitudeMax - LongitudeMin);
        latOffset *= 1UL << step;
        longOffset *= 1UL << step;
        return new Cell(Interleave((uint)latOffset, (uint)longOffset), step);
    }

    /// <summary>geohashDecode: a cell's longitude and latitude ranges.</summary>
    private static (double LongMin, double LongMax, double LatMin, double LatMax) DecodeCell(Cell cell)
    {
        var latitudeCell = Compact(cell.Bits);
        var longitudeCell = Compact(cell.Bits >> 1);
        const double latScale = LatitudeMax - LatitudeMin;
        const double longScale = LongitudeMax - LongitudeMin;
        double cells = 1UL << cell.Step;
        return (LongitudeMin + (longitudeCell * 1.0 / cells * longScale), LongitudeMin + ((longitudeCell + 1UL) * 1.0 / cells * longScale),
            LatitudeMin + (latitudeCell * 1.0 / cells * latScale), LatitudeMin + ((latitudeCell + 1UL) * 1.0 / cells * latScale));
    }

    /// <summary>geohash_move_x: the cell <paramref name="d"/> (1 or -1) to the east or west, wrapping.</summary>
    private static Cell MoveX(Cell cell, int d)
    {
        if (d == 0)
            return cell;
        var x = cell.Bits & 0xaaaaaaaaaaaaaaaaUL;
        var y = cell.Bits & 0x5555555555555555UL;
        var zz = 0x5555555555555555UL >> (64 - (cell.Step * 2));
        if (d > 0)
        {
            x += zz + 1;
        }
        else
        {
            x |= zz;
            x -= zz + 1;
        }
        x &= 0xaaaaaaaaaaaaaaaaUL >> (64 - (cell.Step * 2));
        return cell with { Bits = x | y };
    }

    /// <summary>geohash_move_y: the cell <paramref name="d"/> (1 or -1) to the north or south, wrapping.</summary>
    private static Cell MoveY(Cell cell, int d)
    {
        if (d == 0)
            return cell;
        var x = cell.Bits & 0xaaaaaaaaaaaaaaaaUL;
        var y = cell.Bits & 0x5555555555555555UL;
        var zz = 0xaaaaaaaaaaaaaaaaUL >> (64 - (cell.Step * 2));
        if (d > 0)
        {
            y += zz + 1;
        }
        else
        {
            y |= zz;
            y -= zz + 1;
        }
        y &= 0x5555555555555555UL >> (64 - (cell.Step * 2));
        return cell with { Bits = x | y };
    }

    /// <summary>
    /// geohashCalculateAreasByShapeWGS84 then membersOfAllNeighbors: the centre's cell and its neighbours in Redis's
    /// order (centre, N, S, E, W, NE, NW, SE, SW), each read once, the matches appended; at most <paramref name="limit"/> (0: all).
    /// </summary>
    private static void MembersOfAllNeighbors(List<ScoredMember> members, ref Shape shape, List<GeoPoint> found, long limit)
    {
        BoundingBox(ref shape);
        var radiusMeters = shape.IsBox
            ? Math.Sqrt((shape.Width / 2 * (shape.Width / 2)) + (shape.Height / 2 * (shape.Height / 2)))
            : shape.Radius;
        radiusMeters *= shape.Conversion;
        var steps = EstimateSteps(radiusMeters, shape.Latitude);
        Span<Cell> cells = stackalloc Cell[9];
        Neighbors(EncodeCell(shape.Longitude, shape.Latitude, steps), cells);
        var (_, _, _, northLatMax) = DecodeCell(cells[1]);
        var (_, _, southLatMin, _) = DecodeCell(cells[2]);
        var (_, eastLongMax, _, _) = DecodeCell(cells[3]);
        var (westLongMin, _, _, _) = DecodeCell(cells[4]);
        var decrease = northLatMax < shape.MaxLatitude || southLatMin > shape.MinLatitude
            || eastLongMax < shape.MaxLongitude || westLongMin > shape.MinLongitude;
        if (steps > 1 && decrease)
        {
            steps--;
            Neighbors(EncodeCell(shape.Longitude, shape.Latitude, steps), cells);
        }
        if (steps >= 2)
        {
            // Leave out the neighbours on a side the shape does not reach past the centre's cell.
            var (longMin, longMax, latMin, latMax) = DecodeCell(cells[0]);
            if (latMin < shape.MinLatitude)
                cells[2] = cells[8] = cells[7] = default;
            if (latMax > shape.MaxLatitude)
                cells[1] = cells[5] = cells[6] = default;
            if (longMin < shape.MinLongitude)
                cells[4] = cells[8] = cells[6] = default;
            if (longMax > shape.MaxLongitude)
                cells[3] = cells[7] = cells[5] = default;
        }
        var lastProcessed = 0;
        for (var i = 0; i < cells.Length; i++)
        {
            if (cells[i].IsZero)
                continue;
            // With a huge radius neighbours can be the same cell: read it once.
            if (lastProcessed != 0 && cells[i] == cells[lastProcessed])
                continue;
            if (found.Count > 0 && limit != 0 && found.Count >= limit)
                break;
            MembersOfCell(members, cells[i], ref shape, found, limit);
            lastProcessed = i;
        }
    }

    /// <summary>geohashNeighbors, in membersOfAllNeighbors' order: centre, north, south, east, west, north-east, north-west, south-east, south-west.</summary>
    private static void Neighbors(Cell centre, Span<Cell> cells)
    {
        cells[0] = centre;
        cells[1] = MoveY(centre, 1);
        cells[2] = MoveY(centre, -1);
        cells[3] = MoveX(centre, 1);
        cells[4] = MoveX(centre, -1);
        cells[5] = MoveY(MoveX(centre, 1), 1);
        cells[6] = MoveY(MoveX(centre, -1), 1);
        cells[7] = MoveY(MoveX(centre, 1), -1);
        cells[8] = MoveY(MoveX(centre, -1), -1);
    }

    /// <summary>geoGetPointsInRange over the cell's scores [min, max): the members inside the shape, in score order.</summary>
    private static void MembersOfCell(List<ScoredMember> members, Cell cell, ref Shape shape, List<GeoPoint> found, long limit)
    {
        var shift = 52 - (cell.Step * 2);
        double min = cell.Bits << shift;
        double max = (cell.Bits + 1) << shift;
        // The first member at or above min (members are in score order), as the sorted set's range lookup finds it.
        int low = 0, high = members.Count;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (members[middle].Score < min)
                low = middle + 1;
            else
                high = middle;
        }
        for (var i = low; i < members.Count; i++)
        {
            var m = members[i];
            if (m.Score >= max)
                break;
            var (longitude, latitude) = Decode(m.Score);
            if (WithinShape(ref shape, longitude, latitude, out var distance))
                found.Add(new GeoPoint(m.Member, m.Score, longitude, latitude, distance));
            if (found.Count > 0 && limit != 0 && found.Count >= limit)
                break;
        }
    }

    /// <summary>geoWithinShape: inside the circle (distance to the centre within the radius) or the box (latitude, then longitude distance within half its sides).</summary>
    private static bool WithinShape(ref Shape shape, double longitude, double latitude, out double distance)
    {
        distance = 0;
        if (!shape.IsBox)
        {
            distance = Distance(shape.Longitude, shape.Latitude, longitude, latitude);
            return distance <= shape.Radius * shape.Conversion;
        }
        var height = shape.Height * shape.Conversion;
        var width = shape.Width * shape.Conversion;
        var latDistance = EarthRadiusInMeters * Math.Abs(ToRadians(shape.Latitude) - ToRadians(latitude));
        if (latDistance > height / 2)
            return false;
        if (Distance(longitude, latitude, shape.Longitude, latitude) > width / 2)
            return false;
        distance = Distance(shape.Longitude, shape.Latitude, longitude, latitude);
        return true;
    }
}
