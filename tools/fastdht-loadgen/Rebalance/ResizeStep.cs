namespace FastDht.LoadGen.Rebalance;

/// <summary>One node joining (with the rebalance onto it) or leaving (with the moves off it first): how long the join or the leave took, its moves and keys, its longest write pause, and the whole step.</summary>
internal sealed record ResizeStep(string Name, bool Joined, TimeSpan MembershipTime, int Moves, long Keys, TimeSpan LongestPause, TimeSpan Time);
