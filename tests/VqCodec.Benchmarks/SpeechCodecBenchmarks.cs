using BenchmarkDotNet.Attributes;
using VqCodec.Codec.Speech;

namespace VqCodec.Benchmarks;

/// <summary>
/// Speed of the speech codec on 10 s of 16 kHz audio with the embedded model. The real-time factor is
/// 10 s divided by the mean time (target: at least 50 for encoding and for decoding on the 2-core CPU), at the
/// default 4 levels and at 6, in three modes: "envelope", the default (format 1.5: voice parameters and envelope
/// corrections, so pitch tracking, a decode of each window and two STFT analyses in the encoder, corrections and harmonic
/// synthesis in the decoder), "voice" (format 1.4: the voice parameters alone) and "none" (format 1.2: tokens only).
/// The encoder is the baseline.
/// </summary>
[MemoryDiagnoser]
public class SpeechCodecBenchmarks
{
    private const int Rate = 16000;
    private SpeechModel _model = null!;
    private float[] _signal = [];
    private byte[] _encoded = [];

    [Params(4, 6)]
    public int Levels { get; set; }

    [Params("envelope", "voice", "none")]
    public string Mode { get; set; } = "envelope";

    private SpeechEncodeOptions Options => new() { Levels = Levels, Voice = Mode != "none", Envelope = Mode == "envelope" };

    [GlobalSetup]
    public void Setup()
    {
        if (!SpeechModel.HasPretrained)
        {
            throw new InvalidOperationException("the library has no embedded speech model");
        }

        _model = SpeechModel.LoadPretrained();

        // A voiced, gliding harmonic signal with a syllable-rate envelope and a little noise.
        var rng = new Random(1);
        _signal = new float[10 * Rate];
        double phase = 0;
        for (int i = 0; i < _signal.Length; i++)
        {
            double t = (double)i / Rate;
            phase += 2 * Math.PI * (130 + (30 * Math.Sin(2 * Math.PI * 0.5 * t))) / Rate;
            double v = 0;
            for (int h = 1; h <= 12; h++)
            {
                v += Math.Sin(h * phase) / h;
            }

            _signal[i] = (float)((0.15 * v * (0.5 + (0.5 * Math.Sin(2 * Math.PI * 4 * t)))) + (0.005 * ((rng.NextDouble() * 2) - 1)));
        }

        var ms = new MemoryStream();
        SpeechCodec.Encode(_model, _signal, Rate, ms, Options);
        _encoded = ms.ToArray();
    }

    [Benchmark(Baseline = true)]
    public long Encode()
    {
        var ms = new MemoryStream();
        return SpeechCodec.Encode(_model, _signal, Rate, ms, Options).Bytes;
    }

    [Benchmark]
    public int Decode() => SpeechCodec.Decode(_model, new MemoryStream(_encoded)).Samples.Length;
}
