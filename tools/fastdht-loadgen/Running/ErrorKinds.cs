using FastDht.Engine.Client;

namespace FastDht.LoadGen.Running;

/// <summary>Names a failed operation's cause for the report's "errors by kind".</summary>
internal static class ErrorKinds
{
    public const string Timeout = "Timeout";
    public const string NodeUnavailable = "NodeUnavailable";
    public const string Protocol = "Protocol";
    public const string InDoubt = "InDoubt";

    /// <summary>A read found nothing for a key whose write was acknowledged before the read began (<see cref="WrittenKeys"/>).</summary>
    public const string LostWrite = "LostWrite";

    /// <summary>"InDoubt" (a write whose answer was lost), "Timeout", "NodeUnavailable", the server's status ("Aborted", "Locked", ...), "Protocol", or the exception type.</summary>
    public static string Of(Exception exception) => exception switch
    {
        DhtWriteInDoubtException => InDoubt,
        DhtTimeoutException => Timeout,
        DhtNodeUnavailableException => NodeUnavailable,
        DhtServerException server => server.Status.ToString(),
        DhtException => Protocol,
        _ => exception.GetType().Name,
    };
}
