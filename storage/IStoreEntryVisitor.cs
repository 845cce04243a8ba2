namespace FastDht.Storage;

/// <summary>Receives the entries of an enumeration batch; implement it on a struct so that visiting allocates nothing.</summary>
/// <remarks>
/// The store calls <see cref="Visit"/> without holding any lock, so the visitor may read and write
/// the store (for example delete the key it was given); such writes are concurrent writes as far as
/// the enumeration's guarantee is concerned.
/// </remarks>
public interface IStoreEntryVisitor
{
    /// <summary>Called once per entry found.</summary>
    void Visit(in StoreEntry entry);
}
