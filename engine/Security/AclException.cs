namespace FastDht.Engine.Security;

/// <summary>An ACL rule or users file that cannot be applied; the message says which part and why.</summary>
public sealed class AclException(string message) : Exception(message);
