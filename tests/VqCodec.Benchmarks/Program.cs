using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/VqCodec.Benchmarks -- --filter '*'   (or a suite name)
BenchmarkSwitcher.FromAssembly(typeof(VqCodec.Benchmarks.EntropyCodingBenchmarks).Assembly).Run(args);
