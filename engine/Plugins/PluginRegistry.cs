using FastDht.Engine.Plugins.Internal;
using FastDht.Locking;
using FastDht.Storage;

namespace FastDht.Engine.Plugins;

/// <summary>The named parts a node is assembled from: wire protocols, stores and lock strategies. An application registers its own before it starts a node.</summary>
/// <remarks>
/// Names are case-insensitive. <see cref="CreateDefault"/> holds the protocols "native" and "resp", the store
/// "sharded", and the lock strategies of <see cref="LockStrategyRegistry.CreateDefault"/>. Thread-safe.
/// </remarks>
public sealed class PluginRegistry
{
    private readonly Dictionary<string, IWireProtocol> _protocols = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Func<IKeyValueStore>> _stores = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _sync = new();

    /// <summary>An empty registry (no protocols, no stores, no strategies).</summary>
    public PluginRegistry()
        : this(new LockStrategyRegistry())
    {
    }

    private PluginRegistry(LockStrategyRegistry lockStrategies) => LockStrategies = lockStrategies;

    /// <summary>The lock strategies, by name.</summary>
    public LockStrategyRegistry LockStrategies { get; }

    /// <summary>A registry with the built-in protocols, store and lock strategies.</summary>
    public static PluginRegistry CreateDefault()
    {
        var registry = new PluginRegistry(LockStrategyRegistry.CreateDefault());
        registry.RegisterProtocol(new BuiltInProtocol(ProtocolNames.Native));
        registry.RegisterProtocol(new BuiltInProtocol(ProtocolNames.Resp));
        // The cluster's slot function: the store's slots are then the cluster's, so a slot move or COUNTKEYSINSLOT reads
        // only the slots it needs (docs/storage.md, "Shards by slot"); costs one CRC16 per store operation (~10 ns).
        registry.RegisterStore(ProtocolNames.ShardedStore, static () => new ShardedStore(new StoreOptions { SlotFunction = Protocol.KeySlot.Of }));
        return registry;
    }

    /// <summary>Registers a wire protocol under its <see cref="IWireProtocol.Name"/>.</summary>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    public void RegisterProtocol(IWireProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentException.ThrowIfNullOrWhiteSpace(protocol.Name);
        lock (_sync)
        {
            if (!_protocols.TryAdd(protocol.Name, protocol))
                throw new ArgumentException($"a wire protocol named '{protocol.Name}' is already registered", nameof(protocol));
        }
    }

    /// <summary>Registers a store factory; the node calls it once at start.</summary>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    public void RegisterStore(string name, Func<IKeyValueStore> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        lock (_sync)
        {
            if (!_stores.TryAdd(name, factory))
                throw new ArgumentException($"a store named '{name}' is already registered", nameof(name));
        }
    }

    public bool TryGetProtocol(string name, out IWireProtocol protocol)
    {
        lock (_sync)
            return _protocols.TryGetValue(name, out protocol!);
    }

    public bool TryCreateStore(string name, out IKeyValueStore store)
    {
        Func<IKeyValueStore>? factory;
        lock (_sync)
            _stores.TryGetValue(name, out factory);
        store = factory?.Invoke()!;
        return factory is not null;
    }

    /// <summary>The registered protocol names, sorted.</summary>
    public IReadOnlyList<string> ProtocolNamesRegistered
    {
        get
        {
            lock (_sync)
            {
                var names = new List<string>(_protocols.Keys);
                names.Sort(StringComparer.OrdinalIgnoreCase);
                return names;
            }
        }
    }

    /// <summary>The registered store names, sorted.</summary>
    public IReadOnlyList<string> StoreNames
    {
        get
        {
            lock (_sync)
            {
                var names = new List<string>(_stores.Keys);
                names.Sort(StringComparer.OrdinalIgnoreCase);
                return names;
            }
        }
    }
}
