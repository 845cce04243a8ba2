namespace FastDht.Locking;

// Design: the wait-for graph and its cycles.
// Requirements: from a set of edges "T waits for U" (one lock table's, or every node's), name the transactions to
// abort so that no cycle is left, each one the youngest member of a cycle (so the oldest transaction of the system is
// never chosen, and a retry, which keeps its id, only ever gets older). Graphs are small (a few waits per concurrent
// transaction), so plainness wins over asymptotics: find one cycle by depth-first search, take its youngest member
// out of the graph, and search again until no cycle is left. Not thread-safe: one detector owns one graph and reuses
// it (Clear) between rounds, so a round allocates nothing once the graph has grown to its working size.

/// <summary>A wait-for graph between transactions; finds its cycles and names each cycle's youngest member as the victim.</summary>
public sealed class WaitForGraph
{
    private readonly Dictionary<TxnId, int> _index = new();
    private readonly List<TxnId> _txns = new();
    private readonly List<List<int>> _edges = new();
    private readonly List<byte> _color = new();
    private readonly List<bool> _removed = new();
    private readonly Stack<(int Node, int Next)> _stack = new();
    private readonly List<int> _path = new();
    private int _used;

    /// <summary>Number of transactions in the graph.</summary>
    public int Count => _used;

    /// <summary>Adds the edge "<paramref name="waiter"/> waits for <paramref name="blocker"/>" (a repeated edge is harmless).</summary>
    public void Add(TxnId waiter, TxnId blocker)
    {
        if (waiter == blocker)
        {
            return;
        }

        int from = IndexOf(waiter);
        int to = IndexOf(blocker);
        List<int> targets = _edges[from];
        if (!targets.Contains(to))
        {
            targets.Add(to);
        }
    }

    /// <summary>Adds every edge of <paramref name="edges"/>.</summary>
    public void AddRange(IEnumerable<WaitForEdge> edges)
    {
        ArgumentNullException.ThrowIfNull(edges);
        foreach (WaitForEdge e in edges)
        {
            Add(e.Waiter, e.Blocker);
        }
    }

    /// <summary>True when the graph has the edge "<paramref name="waiter"/> waits for <paramref name="blocker"/>".</summary>
    public bool HasEdge(TxnId waiter, TxnId blocker) =>
        _index.TryGetValue(waiter, out int from) && _index.TryGetValue(blocker, out int to) && _edges[from].Contains(to);

    /// <summary>Forgets every transaction and edge, keeping the memory for the next round.</summary>
    public void Clear()
    {
        _index.Clear();
        for (int i = 0; i < _used; i++)
        {
            _edges[i].Clear();
        }

        _used = 0;
    }

    /// <summary>
    /// Finds cycles until none is left: after each one found, its youngest member (the victim) is taken out of the
    /// graph. Adds each cycle, in wait order (each member waits for the next, the last for the first), to
    /// <paramref name="cycles"/>; returns how many were found. The graph keeps its edges but not its victims afterwards.
    /// </summary>
    public int FindCycles(List<TxnId[]> cycles)
    {
        ArgumentNullException.ThrowIfNull(cycles);
        for (int i = 0; i < _used; i++)
        {
            _removed[i] = false;
        }

        int found = 0;
        while (FindOneCycle() is { } cycle)
        {
            cycles.Add(cycle);
            _removed[_index[Youngest(cycle)]] = true;
            found++;
        }

        return found;
    }

    /// <summary>The youngest transaction of <paramref name="cycle"/>: the one a detector aborts.</summary>
    public static TxnId Youngest(ReadOnlySpan<TxnId> cycle)
    {
        TxnId youngest = cycle[0];
        for (int i = 1; i < cycle.Length; i++)
        {
            if (youngest.IsOlderThan(cycle[i]))
            {
                youngest = cycle[i];
            }
        }

        return youngest;
    }

    private int IndexOf(TxnId txn)
    {
        if (_index.TryGetValue(txn, out int i))
        {
            return i;
        }

        i = _used++;
        if (i == _txns.Count)
        {
            _txns.Add(txn);
            _edges.Add(new List<int>(2));
            _color.Add(0);
            _removed.Add(false);
        }
        else
        {
            _txns[i] = txn;
        }

        _index.Add(txn, i);
        return i;
    }

    // Iterative depth-first search with three colours (0 unseen, 1 on the current path, 2 done): an edge to a node on
    // the current path closes a cycle, which is the path from that node to the top.
    private TxnId[]? FindOneCycle()
    {
        for (int i = 0; i < _used; i++)
        {
            _color[i] = 0;
        }

        for (int root = 0; root < _used; root++)
        {
            if (_removed[root] || _color[root] != 0)
            {
                continue;
            }

            _stack.Clear();
            _path.Clear();
            _stack.Push((root, 0));
            _path.Add(root);
            _color[root] = 1;
            while (_stack.Count > 0)
            {
                (int node, int next) = _stack.Pop();
                List<int> targets = _edges[node];
                if (next < targets.Count)
                {
                    _stack.Push((node, next + 1));
                    int to = targets[next];
                    if (_removed[to] || _color[to] == 2)
                    {
                        continue;
                    }

                    if (_color[to] == 1)
                    {
                        int start = _path.LastIndexOf(to);
                        var cycle = new TxnId[_path.Count - start];
                        for (int k = 0; k < cycle.Length; k++)
                        {
                            cycle[k] = _txns[_path[start + k]];
                        }

                        return cycle;
                    }

                    _color[to] = 1;
                    _path.Add(to);
                    _stack.Push((to, 0));
                }
                else
                {
                    _color[node] = 2;
                    _path.RemoveAt(_path.Count - 1);
                }
            }
        }

        return null;
    }
}
