using FastDht.Locking.Internal;
using FastDht.Locking.Strategies;

namespace FastDht.Locking;

/// <summary>Lock strategies by name; an embedding application can register its own.</summary>
/// <remarks>Names are case-insensitive. The defaults are "wait-die" (the default), "wound-wait", "no-wait", "timeout", "ordered" and "detect". Thread-safe.</remarks>
public sealed class LockStrategyRegistry
{
    /// <summary>The strategy used when none is named.</summary>
    public const string DefaultName = WaitDieStrategy.StrategyName;

    private readonly Dictionary<string, Func<ILockStrategy>> _factories = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _sync = new();

    /// <summary>An empty registry; see <see cref="CreateDefault"/> for one holding the built-in strategies.</summary>
    public LockStrategyRegistry()
    {
    }

    /// <summary>A registry holding the six built-in strategies.</summary>
    public static LockStrategyRegistry CreateDefault()
    {
        var registry = new LockStrategyRegistry();
        registry.Register(WaitDieStrategy.StrategyName, static () => new WaitDieStrategy());
        registry.Register(WoundWaitStrategy.StrategyName, static () => new WoundWaitStrategy());
        registry.Register(NoWaitStrategy.StrategyName, static () => new NoWaitStrategy());
        registry.Register(TimeoutStrategy.StrategyName, static () => new TimeoutStrategy());
        registry.Register(OrderedStrategy.StrategyName, static () => new OrderedStrategy());
        registry.Register(DeadlockDetectStrategy.StrategyName, static () => new DeadlockDetectStrategy());
        return registry;
    }

    /// <summary>The registered names, sorted.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_sync)
            {
                var names = new List<string>(_factories.Keys);
                names.Sort(StringComparer.OrdinalIgnoreCase);
                return names;
            }
        }
    }

    /// <summary>Registers a strategy factory under a new name.</summary>
    public void Register(string name, Func<ILockStrategy> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        lock (_sync)
        {
            if (!_factories.TryAdd(name, factory))
            {
                Throw.DuplicateStrategy(name);
            }
        }
    }

    /// <summary>Creates the strategy registered under <paramref name="name"/> (or the default when null or empty).</summary>
    /// <exception cref="ArgumentException">No strategy has that name; the message lists the known names.</exception>
    public ILockStrategy Create(string? name = null)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            name = DefaultName;
        }

        Func<ILockStrategy>? factory;
        lock (_sync)
        {
            _factories.TryGetValue(name, out factory);
        }

        if (factory is null)
        {
            Throw.UnknownStrategy(name, string.Join(", ", Names));
        }

        return factory();
    }
}
