using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>Copies a request's keys out of the receive pipe, for work that outlives the read loop's pass over the frame.</summary>
internal static class KeyCopies
{
    public static ReadOnlyMemory<byte>[] Of(KeyList list)
    {
        var keys = new ReadOnlyMemory<byte>[list.Count];
        var i = 0;
        foreach (var key in list)
            keys[i++] = key.ToArray();
        return keys;
    }
}
