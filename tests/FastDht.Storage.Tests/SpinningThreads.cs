namespace FastDht.Storage.Tests;

/// <summary>The test classes that run several busy threads: one at a time, so that together they never take every core from the other test assemblies of a full run.</summary>
[CollectionDefinition(Name)]
public sealed class SpinningThreads
{
    public const string Name = "spinning threads";
}
