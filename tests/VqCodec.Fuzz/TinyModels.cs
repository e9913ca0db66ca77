using VqCodec.Codec.Image;
using VqCodec.Codec.Models;
using VqCodec.Codec.Speech;
using VqCodec.Container;

namespace VqCodec.Fuzz;

/// <summary>Small randomly initialised models: they exercise the whole pipeline quickly without the pretrained weights.</summary>
public static class TinyModels
{
    public static readonly ImageModelConfig Config = new() { Widths = [8, 8, 16], BottleneckBlocks = 1, LatentDim = 8, Levels = 4, CodebookSize = 64 };

    private static readonly Lazy<byte[]> Bundle = new(() =>
    {
        TorchSharp.torch.manual_seed(7);
        using var net = new ImageVqVae(Config);
        var counts = Enumerable.Range(0, Config.Levels).Select(l => Enumerable.Range(0, Config.CodebookSize).Select(i => (long)((i * 7 + l) % 13)).ToArray()).ToList();
        return ImageModel.Bundle(net, "tiny-image", TokenPriors.FromCounts(counts), new Dictionary<string, string> { ["purpose"] = "tests" });
    });

    public static byte[] ImageBundle => Bundle.Value;

    public static ImageModel LoadImage() => ImageModel.Load(new MemoryStream(ImageBundle));

    public static readonly SpeechModelConfig SpeechConfig = new() { FineWidth = 16, CoarseWidth = 24, FineDilations = [1], CoarseDilations = [1, 3], LatentDim = 8, Levels = 4, CodebookSize = 64 };

    private static readonly Lazy<byte[]> SpeechBundleBytes = new(() =>
    {
        TorchSharp.torch.manual_seed(11);
        using var net = new SpeechVqVae(SpeechConfig);
        var counts = Enumerable.Range(0, SpeechConfig.Levels).Select(l => Enumerable.Range(0, SpeechConfig.CodebookSize).Select(i => (long)((i * 5 + l) % 11)).ToArray()).ToList();
        return SpeechModel.Bundle(net, "tiny-speech", TokenPriors.FromCounts(counts), new Dictionary<string, string> { ["purpose"] = "tests" });
    });

    public static byte[] SpeechBundle => SpeechBundleBytes.Value;

    public static SpeechModel LoadSpeech() => SpeechModel.Load(new MemoryStream(SpeechBundle));

    /// <summary>A tiny untrained speech model of another configuration (seeded, so repeatable).</summary>
    public static SpeechModel LoadSpeech(SpeechModelConfig config)
    {
        TorchSharp.torch.manual_seed(13);
        using var net = new SpeechVqVae(config);
        var counts = Enumerable.Range(0, config.Levels).Select(l => Enumerable.Range(0, config.CodebookSize).Select(i => (long)((i * 3 + l) % 7)).ToArray()).ToList();
        return SpeechModel.Load(new MemoryStream(SpeechModel.Bundle(net, "tiny-speech-variant", TokenPriors.FromCounts(counts), new Dictionary<string, string> { ["purpose"] = "tests" })));
    }

    /// <summary>A speech-like test signal: a gliding harmonic tone with an amplitude envelope plus a little noise.</summary>
    public static float[] Voice(double seconds, int rate = 16000, int seed = 3)
    {
        var rng = new Random(seed);
        var x = new float[(int)(seconds * rate)];
        double phase = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double t = (double)i / rate;
            double f0 = 120 + (40 * Math.Sin(2 * Math.PI * 0.7 * t));
            phase += 2 * Math.PI * f0 / rate;
            double env = 0.5 + (0.5 * Math.Sin(2 * Math.PI * 3 * t));
            double v = 0;
            for (int h = 1; h <= 8; h++)
            {
                v += Math.Sin(h * phase) / h;
            }

            x[i] = (float)((0.2 * env * v) + (0.01 * ((rng.NextDouble() * 2) - 1)));
        }

        return x;
    }

    public static RgbImage Gradient(int w, int h, int seed = 1)
    {
        var px = new byte[w * h * 3];
        var rng = new Random(seed);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int i = ((y * w) + x) * 3;
                px[i] = (byte)(x * 255 / Math.Max(1, w - 1));
                px[i + 1] = (byte)(y * 255 / Math.Max(1, h - 1));
                px[i + 2] = (byte)rng.Next(256);
            }
        }

        return new RgbImage(w, h, px);
    }
}
