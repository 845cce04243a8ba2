using System.Diagnostics.CodeAnalysis;

namespace FastDht.Engine.Client.Internal;

/// <summary>Throw sites of the client, out of line so the request methods stay small.</summary>
internal static class Throw
{
    [DoesNotReturn]
    public static void KeyLength(int length) =>
        throw new ArgumentException($"a key must be 1 to 65535 bytes long, not {length}", "key");

    [DoesNotReturn]
    public static void FrameTooLarge(int frameLength, int keyLength, int valueLength, ushort nodeId, int limit) =>
        throw new ArgumentException(
            $"a {keyLength}-byte key with a {valueLength}-byte value makes a {frameLength}-byte frame, but node {nodeId} accepts at most {limit} bytes");

    [DoesNotReturn]
    public static void Disposed() => throw new ObjectDisposedException(nameof(DhtClient));

    [DoesNotReturn]
    public static void Canceled(CancellationToken cancellationToken) => throw new OperationCanceledException(cancellationToken);

    [DoesNotReturn]
    public static void NotAMember(ushort nodeId, int slot) =>
        throw new DhtException($"the slot table gives slot {slot} to node {nodeId}, which is not in the member list");

    [DoesNotReturn]
    public static void UnknownNode(ushort nodeId) =>
        throw new ArgumentException($"node {nodeId} is not a member of the cluster", nameof(nodeId));
}
