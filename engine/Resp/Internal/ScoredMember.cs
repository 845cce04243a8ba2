namespace FastDht.Engine.Resp.Internal;

/// <summary>One member of a sorted set and its score; the member is a slice of the stored value or a command's argument.</summary>
internal readonly record struct ScoredMember(double Score, ReadOnlyMemory<byte> Member);
