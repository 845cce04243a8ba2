namespace FastDht.Engine.Diagnostics;

/// <summary>How many requests of one kind ended one way since the node started.</summary>
/// <param name="Protocol">"native" or "resp".</param>
/// <param name="Kind">The opcode or command, lower case (get, put, multiput; set, mget, ...).</param>
/// <param name="Outcome">The native status (ok, not_found, locked, ...) or, for RESP, ok or refused (ACL, wrong arity, unknown command).</param>
/// <param name="Count">The number so far.</param>
public readonly record struct OperationCount(string Protocol, string Kind, string Outcome, long Count);
