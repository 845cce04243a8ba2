namespace FastDht.Engine.Tests.Transactions;

/// <summary>
/// Checks that final key values are explained by some serial order of the committed transactions, each of which wrote
/// its own label into every key it named.
/// </summary>
/// <remarks>
/// In a serial order the final value of a key is the label of the last committed transaction that wrote it. So the
/// final value must be a committed label that wrote the key, no key written by a committed transaction may be absent,
/// and every other committed writer of a key must come before its final writer. Those "before" edges must admit an
/// order, i.e. have no cycle: two transactions that each won one of two keys both wrote is the torn MultiPut this catches.
/// </remarks>
internal static class SerialOrderChecker
{
    public static void AssertExplained(IReadOnlyDictionary<string, string?> final, IReadOnlyDictionary<string, string[]> committed)
    {
        var before = new Dictionary<string, HashSet<string>>();
        foreach (var label in committed.Keys)
            before[label] = [];
        foreach (var (key, value) in final)
        {
            var writers = committed.Where(c => c.Value.Contains(key)).Select(c => c.Key).ToList();
            if (value is null)
            {
                Assert.True(writers.Count == 0, $"key {key} is absent although {writers.Count} committed transactions wrote it");
                continue;
            }
            Assert.True(committed.TryGetValue(value, out var keys), $"key {key} holds '{value}', which did not commit");
            Assert.Contains(key, keys!);
            foreach (var w in writers)
            {
                if (w != value)
                    before[value].Add(w); // w precedes the final writer
            }
        }
        // Kahn's algorithm: every transaction must be placeable.
        var pending = before.ToDictionary(p => p.Key, p => p.Value.Count);
        var ready = new Queue<string>(pending.Where(p => p.Value == 0).Select(p => p.Key));
        var placed = 0;
        var followers = new Dictionary<string, List<string>>();
        foreach (var (t, preds) in before)
        {
            foreach (var p in preds)
            {
                if (!followers.TryGetValue(p, out var list))
                    followers[p] = list = [];
                list.Add(t);
            }
        }
        while (ready.Count > 0)
        {
            var t = ready.Dequeue();
            placed++;
            if (!followers.TryGetValue(t, out var next))
                continue;
            foreach (var f in next)
            {
                if (--pending[f] == 0)
                    ready.Enqueue(f);
            }
        }
        Assert.True(placed == before.Count, $"no serial order explains the final values: {before.Count - placed} transactions are in a cycle");
    }
}
