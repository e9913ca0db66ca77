using BenchmarkDotNet.Attributes;
using VqCodec.Quantization;
using VqCodec.Quantization.Evaluation;

namespace VqCodec.Benchmarks;

/// <summary>Encoding throughput (vectors per second = 4,096 / mean time) of PQ and RQ at 32 bits, D = 16, K = 256; full-search VQ (8 bits) is the baseline.</summary>
[MemoryDiagnoser]
public class QuantizerBenchmarks
{
    private const int N = 4096;
    private Matrix _data = null!;
    private CodebookQuantizer _vq = null!;
    private ProductQuantizer _pq = null!;
    private ResidualQuantizer _rq = null!;
    private readonly int[] _codes = new int[4];

    [GlobalSetup]
    public void Setup()
    {
        Matrix train = QuantizerComparison.Gaussian(4000, 16, 0.9, 1);
        _data = QuantizerComparison.Gaussian(N, 16, 0.9, 2);
        _vq = new CodebookQuantizer(256, 10);
        _vq.Fit(train, 1);
        _pq = new ProductQuantizer(4, 256, 10);
        _pq.Fit(train, 1);
        _rq = new ResidualQuantizer(4, 256, 1, 10);
        _rq.Fit(train, 1);
    }

    private void EncodeAll(VectorQuantizer q)
    {
        for (int i = 0; i < N; i++)
        {
            q.Encode(_data.Row(i), _codes);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = N)]
    public void VqFullSearch() => EncodeAll(_vq);

    [Benchmark(OperationsPerInvoke = N)]
    public void ProductQuantizer4x8() => EncodeAll(_pq);

    [Benchmark(OperationsPerInvoke = N)]
    public void ResidualGreedy4x8()
    {
        _rq.BeamWidth = 1;
        EncodeAll(_rq);
    }

    [Benchmark(OperationsPerInvoke = N)]
    public void ResidualBeam4x8()
    {
        _rq.BeamWidth = 4;
        EncodeAll(_rq);
    }
}
