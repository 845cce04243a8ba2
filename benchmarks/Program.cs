using BenchmarkDotNet.Running;
using FastDht.Benchmarks.Infrastructure;

BenchmarkSwitcher.FromAssembly(typeof(BenchmarkConfig).Assembly).Run(args, BenchmarkConfig.Create());
