namespace FastDht.Engine.Cluster;

/// <summary>One step of a plan: move slots [<see cref="FirstSlot"/>, <see cref="LastSlot"/>] from <see cref="From"/> (their owner) to <see cref="To"/>.</summary>
public sealed record SlotMovePlan(int FirstSlot, int LastSlot, ushort From, ushort To)
{
    /// <summary>The number of slots this step moves.</summary>
    public int Count => LastSlot - FirstSlot + 1;

    public override string ToString() => FirstSlot == LastSlot
        ? $"move slot {FirstSlot} from node {From} to node {To}"
        : $"move slots {FirstSlot}-{LastSlot} from node {From} to node {To}";
}
