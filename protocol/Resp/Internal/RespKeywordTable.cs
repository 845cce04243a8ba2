using System.Text;

namespace FastDht.Protocol.Resp.Internal;

/// <summary>Maps a sub-command or option token to its <see cref="RespKeyword"/>.</summary>
internal static class RespKeywordTable
{
    // A switch on length first, so a name is compared against at most a handful of candidates, each with
    // a vectorised ASCII case-insensitive compare: no allocation, no upper-casing copy.
    public static RespKeyword Identify(ReadOnlySpan<byte> name)
    {
        switch (name.Length)
        {
            case 2:
                if (Ascii.EqualsIgnoreCase(name, "NX"u8)) return RespKeyword.Nx;
                if (Ascii.EqualsIgnoreCase(name, "XX"u8)) return RespKeyword.Xx;
                if (Ascii.EqualsIgnoreCase(name, "EX"u8)) return RespKeyword.Ex;
                if (Ascii.EqualsIgnoreCase(name, "PX"u8)) return RespKeyword.Px;
                if (Ascii.EqualsIgnoreCase(name, "ID"u8)) return RespKeyword.Id;
                if (Ascii.EqualsIgnoreCase(name, "ON"u8)) return RespKeyword.On;
                break;
            case 3:
                if (Ascii.EqualsIgnoreCase(name, "GET"u8)) return RespKeyword.Get;
                if (Ascii.EqualsIgnoreCase(name, "SET"u8)) return RespKeyword.Set;
                if (Ascii.EqualsIgnoreCase(name, "OFF"u8)) return RespKeyword.Off;
                break;
            case 4:
                if (Ascii.EqualsIgnoreCase(name, "EXAT"u8)) return RespKeyword.ExAt;
                if (Ascii.EqualsIgnoreCase(name, "PXAT"u8)) return RespKeyword.PxAt;
                if (Ascii.EqualsIgnoreCase(name, "INFO"u8)) return RespKeyword.Info;
                if (Ascii.EqualsIgnoreCase(name, "MYID"u8)) return RespKeyword.MyId;
                if (Ascii.EqualsIgnoreCase(name, "LIST"u8)) return RespKeyword.List;
                if (Ascii.EqualsIgnoreCase(name, "KILL"u8)) return RespKeyword.Kill;
                if (Ascii.EqualsIgnoreCase(name, "SKIP"u8)) return RespKeyword.Skip;
                if (Ascii.EqualsIgnoreCase(name, "DOCS"u8)) return RespKeyword.Docs;
                if (Ascii.EqualsIgnoreCase(name, "HELP"u8)) return RespKeyword.Help;
                if (Ascii.EqualsIgnoreCase(name, "AUTH"u8)) return RespKeyword.Auth;
                if (Ascii.EqualsIgnoreCase(name, "TYPE"u8)) return RespKeyword.Type;
                if (Ascii.EqualsIgnoreCase(name, "SYNC"u8)) return RespKeyword.Sync;
                break;
            case 5:
                if (Ascii.EqualsIgnoreCase(name, "SLOTS"u8)) return RespKeyword.Slots;
                if (Ascii.EqualsIgnoreCase(name, "NODES"u8)) return RespKeyword.Nodes;
                if (Ascii.EqualsIgnoreCase(name, "REPLY"u8)) return RespKeyword.Reply;
                if (Ascii.EqualsIgnoreCase(name, "COUNT"u8)) return RespKeyword.Count;
                if (Ascii.EqualsIgnoreCase(name, "MATCH"u8)) return RespKeyword.Match;
                if (Ascii.EqualsIgnoreCase(name, "ASYNC"u8)) return RespKeyword.Async;
                break;
            case 6:
                if (Ascii.EqualsIgnoreCase(name, "SHARDS"u8)) return RespKeyword.Shards;
                break;
            case 7:
                if (Ascii.EqualsIgnoreCase(name, "KEEPTTL"u8)) return RespKeyword.KeepTtl;
                if (Ascii.EqualsIgnoreCase(name, "KEYSLOT"u8)) return RespKeyword.KeySlot;
                if (Ascii.EqualsIgnoreCase(name, "SETNAME"u8)) return RespKeyword.SetName;
                if (Ascii.EqualsIgnoreCase(name, "GETNAME"u8)) return RespKeyword.GetName;
                if (Ascii.EqualsIgnoreCase(name, "SETINFO"u8)) return RespKeyword.SetInfo;
                if (Ascii.EqualsIgnoreCase(name, "LIB-VER"u8)) return RespKeyword.LibVer;
                if (Ascii.EqualsIgnoreCase(name, "REWRITE"u8)) return RespKeyword.Rewrite;
                break;
            case 8:
                if (Ascii.EqualsIgnoreCase(name, "LIB-NAME"u8)) return RespKeyword.LibName;
                if (Ascii.EqualsIgnoreCase(name, "TRACKING"u8)) return RespKeyword.Tracking;
                if (Ascii.EqualsIgnoreCase(name, "NO-EVICT"u8)) return RespKeyword.NoEvict;
                if (Ascii.EqualsIgnoreCase(name, "NO-TOUCH"u8)) return RespKeyword.NoTouch;
                break;
            case 9:
                if (Ascii.EqualsIgnoreCase(name, "RESETSTAT"u8)) return RespKeyword.ResetStat;
                break;
            case 13:
                if (Ascii.EqualsIgnoreCase(name, "GETKEYSINSLOT"u8)) return RespKeyword.GetKeysInSlot;
                break;
            case 15:
                if (Ascii.EqualsIgnoreCase(name, "COUNTKEYSINSLOT"u8)) return RespKeyword.CountKeysInSlot;
                break;
        }

        return RespKeyword.Unknown;
    }
}
