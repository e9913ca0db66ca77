using BenchmarkDotNet.Attributes;
using VqCodec.Codec.Speech;

namespace VqCodec.Benchmarks;

/// <summary>
/// Speed of the speech codec on 10 s of 16 kHz audio with the embedded model. The real-time factor is
/// 10 s divided by the mean time (target: at least 50 for encoding and for decoding on the 2-core CPU), with
/// and without the voice parameters (format 1.4: pitch tracking and a decode of each window in the encoder,
/// harmonic synthesis in the decoder). The encoder is the baseline.
/// </summary>
[MemoryDiagnoser]
public class SpeechCodecBenchmarks
{
    private const int Rate = 16000;
    private SpeechModel _model = null!;
    private float[] _signal = [];
    private byte[] _encoded = [];

    [Params(6, 12)]
    public int Levels { get; set; }

    [Params(true, false)]
    public bool Voice { get; set; }

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
        SpeechCodec.Encode(_model, _signal, Rate, ms, new SpeechEncodeOptions { Levels = Levels, Voice = Voice });
        _encoded = ms.ToArray();
    }

    [Benchmark(Baseline = true)]
    public long Encode()
    {
        var ms = new MemoryStream();
        return SpeechCodec.Encode(_model, _signal, Rate, ms, new SpeechEncodeOptions { Levels = Levels, Voice = Voice }).Bytes;
    }

    [Benchmark]
    public int Decode() => SpeechCodec.Decode(_model, new MemoryStream(_encoded)).Samples.Length;
}
