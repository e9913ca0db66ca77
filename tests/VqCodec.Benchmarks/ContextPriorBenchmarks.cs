using BenchmarkDotNet.Attributes;
using VqCodec.Codec.Speech;
using VqCodec.Container;

namespace VqCodec.Benchmarks;

/// <summary>
/// Token coding of 10 s of speech tokens (the embedded model's tokens of a synthetic voice, 6 levels, 1 s segments):
/// the learned context prior (mode 5) against the static joint tables (mode 4, the baseline). Real-time factor =
/// 10 s / mean time; target for decoding with the prior: at least 20 on the 2-core CPU (issue 14).
/// </summary>
[MemoryDiagnoser]
public class ContextPriorBenchmarks
{
    private SpeechModel _model = null!;
    private VqcDocument _doc = null!;
    private VqcDocument _other = null!;
    private byte[] _context = [];
    private byte[] _static = [];
    private int _encodes;

    [GlobalSetup]
    public void Setup()
    {
        _model = SpeechModel.LoadPretrained();
        var rng = new Random(1);
        var signal = new float[10 * 16000];
        double phase = 0;
        for (int i = 0; i < signal.Length; i++)
        {
            double t = i / 16000.0;
            phase += 2 * Math.PI * (130 + (30 * Math.Sin(2 * Math.PI * 0.5 * t))) / 16000;
            double v = 0;
            for (int h = 1; h <= 12; h++)
            {
                v += Math.Sin(h * phase) / h;
            }

            signal[i] = (float)((0.15 * v * (0.5 + (0.5 * Math.Sin(2 * Math.PI * 4 * t)))) + (0.005 * ((rng.NextDouble() * 2) - 1)));
        }

        int[][] planes = SpeechCodec.EncodeTokens(_model, signal)[..6];
        _doc = new VqcDocument(SpeechCodec.TokenHeader(_model, planes[0].Length, planes.Length), planes);
        int[][] changed = [.. planes.Select(p => (int[])p.Clone())];
        changed[0][0] = (changed[0][0] + 1) % 1024;
        _other = new VqcDocument(_doc.Header, changed);
        _context = Write(TokenCodingPolicy.RansContext);
        _static = Write(TokenCodingPolicy.RansStatic);
    }

    [Benchmark(Baseline = true)]
    public int DecodeStaticJoint() => VqcDocument.Read(new MemoryStream(_static), TokenPriors.Resolver(_model.Priors)).Tokens.Length;

    [Benchmark]
    public int DecodeContext() => VqcDocument.Read(new MemoryStream(_context), TokenPriors.Resolver(_model.Priors)).Tokens.Length;

    /// <summary>Alternates between two token sets, so that the prior's reuse of its last stream (for an image's rate search) does not apply.</summary>
    [Benchmark]
    public int EncodeContext() => Write(TokenCodingPolicy.RansContext, _encodes++ % 2 == 0 ? _doc : _other).Length;

    private byte[] Write(TokenCodingPolicy policy, VqcDocument? doc = null)
    {
        var ms = new MemoryStream();
        (doc ?? _doc).Write(ms, new VqcWriterOptions { Priors = _model.Priors, Policy = policy }, leaveOpen: true);
        return ms.ToArray();
    }
}
