using System.Text;
using FastDht.Protocol.Internal;

namespace FastDht.Protocol;

/// <summary>
/// The encoded length of each request frame, header included: <see cref="FrameWriter"/> encodes by these, and callers
/// check a frame against a peer's announced limit with the same numbers before they write it.
/// </summary>
/// <remarks>Fields outside the wire format throw <see cref="ArgumentOutOfRangeException"/>, as the encoders do.</remarks>
public static class FrameLengths
{
    /// <summary>A frame whose body is <paramref name="bodyLength"/> raw bytes (Ping, RespExecute, empty bodies).</summary>
    public static long Raw(long bodyLength) => ProtocolConstants.HeaderSize + bodyLength;

    /// <summary>Get or Delete: key; with <paramref name="fenced"/>, a u64 fencing token after it (fenced Delete).</summary>
    public static long Key(ReadOnlySpan<byte> key, bool fenced = false) =>
        ProtocolConstants.HeaderSize + WireSize.Key(key) + (fenced ? sizeof(ulong) : 0);

    /// <summary>Put or PutIfAbsent: key, value; with <paramref name="trailingU64"/>, a u64 after them (time to live, or fencing token).</summary>
    public static long KeyValue(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool trailingU64 = false) =>
        ProtocolConstants.HeaderSize + WireSize.Key(key) + WireSize.Value(value) + (trailingU64 ? sizeof(ulong) : 0);

    /// <summary>Hello: version, role, node id, cluster name, lock strategy, max frame size, incarnation, members digest.</summary>
    public static long Hello(string clusterName, string lockStrategy) =>
        ProtocolConstants.HeaderSize + HelloBody(
            WireSize.StringBytes(clusterName, nameof(clusterName)), WireSize.StringBytes(lockStrategy, nameof(lockStrategy)));

    /// <summary>MultiPut: u16 count (at least 1), count x (key, value).</summary>
    public static long MultiPut(ReadOnlySpan<KeyValue> entries)
    {
        WireSize.Count(entries.Length, 1, nameof(entries));
        long length = ProtocolConstants.HeaderSize + sizeof(ushort);
        foreach (ref readonly KeyValue e in entries)
        {
            length += WireSize.Key(e.Key.Span) + WireSize.Value(e.Value.Span);
        }

        return length;
    }

    /// <summary>MultiGet: a key list.</summary>
    public static long MultiGet(ReadOnlySpan<ReadOnlyMemory<byte>> keys) => ProtocolConstants.HeaderSize + KeyList(keys);

    /// <summary>Lock (TxnId, u8 mode, u32 lease, key list) or, with <paramref name="withAttempt"/>, TxnLock (a u16 attempt after the mode).</summary>
    public static long Lock(ReadOnlySpan<ReadOnlyMemory<byte>> keys, bool withAttempt) =>
        ProtocolConstants.HeaderSize + ProtocolConstants.TxnIdSize + 1 + (withAttempt ? sizeof(ushort) : 0) + sizeof(uint) + KeyList(keys);

    /// <summary>Unlock or TxnRead (TxnId, key list) or, with <paramref name="withLease"/>, RenewLease (a u32 lease before the keys).</summary>
    public static long TxnKeys(ReadOnlySpan<ReadOnlyMemory<byte>> keys, bool withLease) =>
        ProtocolConstants.HeaderSize + ProtocolConstants.TxnIdSize + (withLease ? sizeof(uint) : 0) + KeyList(keys);

    /// <summary>TxnWound or TxnPin: a TxnId alone.</summary>
    public static long TxnOnly => ProtocolConstants.HeaderSize + ProtocolConstants.TxnIdSize;

    /// <summary>TxnCommit, TxnAbort or TxnStatus: TxnId, u16 attempt.</summary>
    public static long TxnAttempt => ProtocolConstants.HeaderSize + ProtocolConstants.TxnIdSize + sizeof(ushort);

    /// <summary>TxnPrepare: TxnId, attempt, coordinator incarnation, participants, writes (key, value, token, kind, expiry).</summary>
    public static long TxnPrepare(int participantCount, ReadOnlySpan<TxnWrite> writes)
    {
        WireSize.Count(participantCount, 1, "participants");
        WireSize.Count(writes.Length, 0, nameof(writes));
        long length = ProtocolConstants.HeaderSize + ProtocolConstants.TxnIdSize + sizeof(ushort) + sizeof(ulong) + sizeof(ushort)
            + ((long)participantCount * TxnMemberList.EntrySize) + sizeof(ushort);
        foreach (ref readonly TxnWrite w in writes)
        {
            length += WireSize.Key(w.Key.Span) + WireSize.Value(w.Value.Span) + sizeof(ulong) + 1 + sizeof(long);
        }

        return length;
    }

    /// <summary>Auth with mechanism Password: u8 mechanism, user, password.</summary>
    public static long PasswordAuth(string user, string password) =>
        ProtocolConstants.HeaderSize + PasswordAuthBody(WireSize.StringBytes(user, nameof(user)), WireSize.StringBytes(password, nameof(password)));

    /// <summary>Auth with mechanism PeerChallenge or PeerProof: u8 mechanism, 32 bytes.</summary>
    public static long PeerAuthStep => ProtocolConstants.HeaderSize + 1 + AuthFrames.NonceSize;

    internal static int HelloBody(int clusterBytes, int strategyBytes) =>
        sizeof(ushort) + 1 + sizeof(ushort) + sizeof(ushort) + clusterBytes + sizeof(ushort) + strategyBytes + sizeof(uint) + sizeof(ulong) + sizeof(ulong);

    internal static int PasswordAuthBody(int userBytes, int passwordBytes) => 1 + sizeof(ushort) + userBytes + sizeof(ushort) + passwordBytes;

    /// <summary>u16 count (at least 1), then count x key.</summary>
    internal static long KeyList(ReadOnlySpan<ReadOnlyMemory<byte>> keys)
    {
        WireSize.Count(keys.Length, 1, nameof(keys));
        long size = sizeof(ushort);
        foreach (ref readonly ReadOnlyMemory<byte> key in keys)
        {
            size += WireSize.Key(key.Span);
        }

        return size;
    }
}
