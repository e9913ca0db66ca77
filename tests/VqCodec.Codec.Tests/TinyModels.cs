using VqCodec.Codec.Image;
using VqCodec.Codec.Models;
using VqCodec.Container;

namespace VqCodec.Codec.Tests;

/// <summary>Small randomly initialised models: they exercise the whole pipeline quickly without the pretrained weights.</summary>
internal static class TinyModels
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
