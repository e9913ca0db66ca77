using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using VqCodec.Container;
using VqCodec.Container.Coding;

namespace VqCodec.Benchmarks;

/// <summary>
/// Token-plane coding throughput (tokens per second = 65,536 / mean time) and size (bits per token column)
/// on Zipf and Markov tokens with K = 1024. Packed 10-bit is the baseline; static priors are estimated
/// from a disjoint sample of the same source, as a model's shipped priors are.
/// </summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class EntropyCodingBenchmarks
{
    public const int Count = 65536;
    public const int K = 1024;

    private int[] _tokens = [];
    private TokenPriors _priors = null!;
    private readonly Dictionary<TokenCodingMode, byte[]> _coded = [];
    private readonly int[] _output = new int[Count];

    [Params("zipf1.1", "markov0.3")]
    public string Source { get; set; } = "zipf1.1";

    [GlobalSetup]
    public void Setup()
    {
        // One long stream: the first 65,536 tokens are coded, the rest (same source, disjoint draws)
        // estimate the static priors, as a model's shipped priors come from its training data.
        int[] stream = Source == "zipf1.1" ? TokenSources.Zipf(4 * Count, K, 1.1, 1) : TokenSources.Markov(4 * Count, K, 0.3, 2);
        _tokens = stream[..Count];
        int[] priorSample = stream[Count..];
        _priors = TokenPriors.FromCounts([TokenSources.Counts(priorSample, K)]);
        foreach (TokenCodingMode mode in Enum.GetValues<TokenCodingMode>().Where(m => TokenPlaneCodec.Applicable(m, K, _priors, 0)))
        {
            _coded[mode] = TokenPlaneCodec.Encode(mode, _tokens, K, _priors, 0);
            BitsPerToken[(Source, mode)] = _coded[mode].Length * 8.0 / Count;
        }
    }

    internal static readonly Dictionary<(string Source, TokenCodingMode Mode), double> BitsPerToken = [];

    [Benchmark(Baseline = true, OperationsPerInvoke = Count)]
    public byte[] EncodePacked() => TokenPlaneCodec.Encode(TokenCodingMode.Packed, _tokens, K, _priors, 0);

    [Benchmark(OperationsPerInvoke = Count)]
    public byte[] EncodeLz4() => TokenPlaneCodec.Encode(TokenCodingMode.Lz4, _tokens, K, _priors, 0);

    [Benchmark(OperationsPerInvoke = Count)]
    public byte[] EncodeRansStatic() => TokenPlaneCodec.Encode(TokenCodingMode.RansStatic, _tokens, K, _priors, 0);

    [Benchmark(OperationsPerInvoke = Count)]
    public byte[] EncodeRansAdaptive() => TokenPlaneCodec.Encode(TokenCodingMode.RansAdaptive, _tokens, K, _priors, 0);

    [Benchmark(OperationsPerInvoke = Count)]
    public bool DecodePacked() => TokenPlaneCodec.Decode(TokenCodingMode.Packed, _coded[TokenCodingMode.Packed], K, _priors, 0, _output);

    [Benchmark(OperationsPerInvoke = Count)]
    public bool DecodeLz4() => TokenPlaneCodec.Decode(TokenCodingMode.Lz4, _coded[TokenCodingMode.Lz4], K, _priors, 0, _output);

    [Benchmark(OperationsPerInvoke = Count)]
    public bool DecodeRansStatic() => TokenPlaneCodec.Decode(TokenCodingMode.RansStatic, _coded[TokenCodingMode.RansStatic], K, _priors, 0, _output);

    [Benchmark(OperationsPerInvoke = Count)]
    public bool DecodeRansAdaptive() => TokenPlaneCodec.Decode(TokenCodingMode.RansAdaptive, _coded[TokenCodingMode.RansAdaptive], K, _priors, 0, _output);

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddColumn(new BitsPerTokenColumn());
        }
    }

    /// <summary>Size of the coded plane in bits per token, for the benchmark's mode and source.</summary>
    private sealed class BitsPerTokenColumn : IColumn
    {
        public string Id => "BitsPerToken";

        public string ColumnName => "Bits/token";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Coded size in bits per token (packed 10-bit = 10.0)";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            string method = benchmarkCase.Descriptor.WorkloadMethod.Name;
            string source = (string)benchmarkCase.Parameters["Source"];
            TokenCodingMode mode = method.Contains("Lz4", StringComparison.Ordinal) ? TokenCodingMode.Lz4
                : method.Contains("Static", StringComparison.Ordinal) ? TokenCodingMode.RansStatic
                : method.Contains("Adaptive", StringComparison.Ordinal) ? TokenCodingMode.RansAdaptive
                : TokenCodingMode.Packed;
            var probe = new EntropyCodingBenchmarks { Source = source };
            if (!BitsPerToken.ContainsKey((source, mode)))
            {
                probe.Setup();
            }

            return BitsPerToken[(source, mode)].ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
