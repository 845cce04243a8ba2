namespace FastDht.NodeHost;

/// <summary>A socket event thread count the operator gave, with the option, variable or file field it came from.</summary>
internal readonly record struct SocketThreadCount(int Threads, string Source);
