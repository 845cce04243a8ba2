using System.Diagnostics.CodeAnalysis;

namespace FastDht.Engine.Keyspace;

/// <summary>Out-of-line throw sites of the keyspace.</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void WriteRefused(KeyWriteRefusal refusal) =>
        throw new InvalidOperationException($"a refused write ({refusal}) cannot be applied: answer the refusal instead");
}
