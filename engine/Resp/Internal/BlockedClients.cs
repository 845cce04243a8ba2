using System.Text;

namespace FastDht.Engine.Resp.Internal;

/// <summary>
/// The RESP clients of this node blocked in BLPOP, BRPOP, BLMOVE or BRPOPLPUSH, in the order they blocked, per key:
/// who may try first when a list is written (Redis serves the client that blocked first).
/// </summary>
/// <remarks>
/// A blocked client tries only while it is first in line for one of its keys here; when it is served, times out or
/// leaves, the next in line is woken. Clients blocked through other nodes are in those nodes' lines: the order is kept
/// among the clients of one node (docs/resp-server.md, "Blocking commands"). The count is INFO's blocked_clients.
/// </remarks>
internal sealed class BlockedClients
{
    private readonly Lock _sync = new();
    private readonly Dictionary<string, LinkedList<Waiter>> _lines = new(StringComparer.Ordinal);
    private int _count;

    /// <summary>How many clients are blocked here now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Puts a client at the end of the line of each of its keys.</summary>
    public Waiter Block(ReadOnlyMemory<byte>[] keys)
    {
        var waiter = new Waiter(this, keys.Length);
        lock (_sync)
        {
            for (var i = 0; i < keys.Length; i++)
            {
                var name = Encoding.Latin1.GetString(keys[i].Span);
                if (!_lines.TryGetValue(name, out var line))
                    _lines.Add(name, line = new LinkedList<Waiter>());
                waiter.Places[i] = (name, line.AddLast(waiter));
            }
            _count++;
        }
        return waiter;
    }

    private bool IsFirst(Waiter waiter)
    {
        lock (_sync)
        {
            foreach (var (_, node) in waiter.Places)
            {
                if (node.List!.First == node)
                    return true;
            }
            return false;
        }
    }

    private void Leave(Waiter waiter)
    {
        lock (_sync)
        {
            foreach (var (name, node) in waiter.Places)
            {
                var line = node.List!;
                line.Remove(node);
                if (line.Count == 0)
                    _lines.Remove(name);
            }
            _count--;
        }
    }

    /// <summary>One blocked client's places in the lines; dispose when it stops waiting.</summary>
    public sealed class Waiter(BlockedClients owner, int keys) : IDisposable
    {
        internal (string Name, LinkedListNode<Waiter> Node)[] Places { get; } = new (string, LinkedListNode<Waiter>)[keys];

        /// <summary>Whether no client blocked here before this one waits for one of its keys.</summary>
        public bool IsFirst => owner.IsFirst(this);

        public void Dispose() => owner.Leave(this);
    }
}
