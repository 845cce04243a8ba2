namespace FastDht.Engine.Client;

/// <summary>The base of every error the FastDht client reports about the cluster (not about bad arguments).</summary>
public class DhtException : Exception
{
    public DhtException()
    {
    }

    public DhtException(string message) : base(message)
    {
    }

    public DhtException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
