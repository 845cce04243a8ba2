namespace FastDht.Engine.CommandTable;

/// <summary>What COMMAND DOCS says of one command: its summary, the Redis version that introduced it, its group and its ACL categories.</summary>
/// <param name="Group">Redis's group: string, generic, bitmap, server, connection, cluster, pubsub, transactions, scripting.</param>
/// <param name="Since">The Redis version that introduced the command (what clients compare against).</param>
/// <param name="Categories">The ACL categories COMMAND INFO lists, without the '@'.</param>
/// <param name="Summary">One line, as redis-cli's <c>help</c> prints it.</param>
internal sealed record RespCommandDoc(string Group, string Since, string[] Categories, string Summary);
