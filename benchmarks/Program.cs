using BenchmarkDotNet.Running;
using FastDht.Benchmarks.Infrastructure;
using FastDht.Benchmarks.EndToEnd;
using FastDht.Benchmarks.Storage;

// Measurements that are not BenchmarkDotNet suites are named by the first argument; everything else goes to the switcher.
if (args.Length > 0 && args[0] == "memory-per-key")
{
    return MemoryPerKey.Run(args.AsSpan(1));
}

if (args.Length > 0 && args[0] == "wal-recovery")
{
    return FastDht.Benchmarks.Durability.RecoveryTime.Run(args.AsSpan(1));
}

if (args.Length > 0 && args[0] == "active-expiry")
{
    return ActiveExpiryCost.Run(args.AsSpan(1));
}

if (args.Length > 0 && args[0] == "server-alloc")
{
    return ServerAllocation.Run(args.AsSpan(1));
}

if (args.Length > 0 && args[0] == "native-blast")
{
    return NativeBlast.Run(args.AsSpan(1));
}

if (args.Length > 0 && args[0] == "failover-probe")
{
    return FastDht.Benchmarks.Failover.FailoverProbe.Run(args.AsSpan(1));
}

if (args.Length > 0 && args[0] == "resp-set")
{
    return FastDht.Benchmarks.Failover.RespSetLoad.Run(args.AsSpan(1));
}

BenchmarkSwitcher.FromAssembly(typeof(BenchmarkConfig).Assembly).Run(args, BenchmarkConfig.Create());
return 0;
