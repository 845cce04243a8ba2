namespace FastDht.Engine.Plugins;

/// <summary>How a routed key operation ended.</summary>
public enum KeyOperationStatus
{
    /// <summary>Done (Get found the key, Put stored, Delete removed).</summary>
    Ok,

    /// <summary>The key is absent (Get, Delete).</summary>
    NotFound,

    /// <summary>PutIfAbsent found the key present and stored nothing.</summary>
    Exists,

    /// <summary>A write refused because a transaction holds the key (retryable once it ends; native status Locked).</summary>
    Locked,

    /// <summary>The owner could not be reached or refused; <see cref="KeyOperationResult.Error"/> says why.</summary>
    Failed,
}
