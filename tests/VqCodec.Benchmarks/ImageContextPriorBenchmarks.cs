using BenchmarkDotNet.Attributes;
using VqCodec.Codec.Image;
using VqCodec.Container;

namespace VqCodec.Benchmarks;

/// <summary>
/// Token coding of a 768×512 image's tokens (the embedded model's tokens of the synthetic image of
/// <see cref="ImageCodecBenchmarks"/>): the learned grid prior (mode 5, one TSEG chunk) against the per-plane
/// order-0 chunks (the baseline). Target for decoding with the prior: at most 50 ms more than the baseline at the
/// default two levels on the 2-core CPU (issue 14).
/// </summary>
[MemoryDiagnoser]
public class ImageContextPriorBenchmarks
{
    private ImageModel _model = null!;
    private VqcDocument _doc = null!;
    private VqcDocument _other = null!;
    private byte[] _context = [];
    private byte[] _plain = [];
    private int _encodes;

    /// <summary>Token levels kept (2 is the base of the default setting; 1 to 16 are the token-only rates).</summary>
    [Params(1, 2, 4, 16)]
    public int Levels { get; set; } = 2;

    [GlobalSetup]
    public void Setup()
    {
        _model = ImageModel.LoadPretrained();
        if (_model.Priors?.Context is null)
        {
            throw new InvalidOperationException("the embedded image model has no learned token prior");
        }

        var px = new byte[768 * 512 * 3];
        var rng = new Random(1);
        for (int i = 0; i < px.Length; i += 3)
        {
            int x = (i / 3) % 768, y = (i / 3) / 768;
            px[i] = (byte)((x + (rng.Next(16) - 8)) & 255);
            px[i + 1] = (byte)((y + (rng.Next(16) - 8)) & 255);
            px[i + 2] = (byte)(((x * y) >> 8) & 255);
        }

        _doc = ImageCodec.EncodeDocument(_model, new RgbImage(768, 512, px), new ImageEncodeOptions { Levels = Levels });
        int[][] changed = [.. _doc.Tokens.Select(p => (int[])p.Clone())];
        changed[0][0] = (changed[0][0] + 1) % 1024;
        _other = new VqcDocument(_doc.Header, changed);
        _context = Write(TokenCodingPolicy.RansContext, _doc);
        _plain = Write(TokenCodingPolicy.SmallestWithoutContext, _doc);
    }

    [Benchmark(Baseline = true)]
    public int DecodeOrder0() => VqcDocument.Read(new MemoryStream(_plain), _model.FindPriors).Tokens.Length;

    [Benchmark]
    public int DecodeContext() => VqcDocument.Read(new MemoryStream(_context), _model.FindPriors).Tokens.Length;

    /// <summary>Alternates between two token sets, so that the prior's reuse of its last stream does not apply.</summary>
    [Benchmark]
    public int EncodeContext() => Write(TokenCodingPolicy.RansContext, _encodes++ % 2 == 0 ? _doc : _other).Length;

    private byte[] Write(TokenCodingPolicy policy, VqcDocument doc)
    {
        var ms = new MemoryStream();
        doc.Write(ms, new VqcWriterOptions { Priors = _model.Priors, Policy = policy }, leaveOpen: true);
        return ms.ToArray();
    }
}
