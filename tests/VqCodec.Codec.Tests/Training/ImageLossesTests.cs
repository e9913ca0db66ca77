using VqCodec.Codec.Image;
using VqCodec.Codec.Metrics;
using VqCodec.Codec.Training;

namespace VqCodec.Codec.Tests;

/// <summary>The restorer's training measures agree with the bench's and behave at known points.</summary>
public class ImageLossesTests
{
    [Fact]
    public void BlockinessEqualsTheBenchMeasureInUnitRange()
    {
        // A textured image with 8×8 offsets added: clearly blocky, and the same number from both implementations.
        RgbImage image = TinyModels.Gradient(48, 40, 3);
        byte[] p = (byte[])image.Pixels.Clone();
        for (int i = 0; i < p.Length; i++)
        {
            int x = i / 3 % 48, y = i / 3 / 48;
            p[i] = (byte)Math.Clamp(p[i] + ((((x / 8) + (y / 8)) % 2 == 0) ? 12 : -12), 0, 255);
        }

        foreach (RgbImage img in new[] { image, new RgbImage(48, 40, p) })
        {
            using var t = RestorerTrainer.Stack([img]);
            double torch = ImageLosses.Blockiness(t).item<float>() * 255;
            double bench = ImageMetrics.Blockiness(img);
            Assert.InRange(torch, bench - 0.05 - (Math.Abs(bench) * 0.01), bench + 0.05 + (Math.Abs(bench) * 0.01)); // float32 against double
        }

        Assert.True(ImageMetrics.Blockiness(new RgbImage(48, 40, p)) > 5);
    }

    [Fact]
    public void SsimIsOneForIdenticalImagesAndFallsWithNoise()
    {
        RgbImage image = TinyModels.Gradient(32, 32, 5);
        byte[] noisy = (byte[])image.Pixels.Clone();
        var rng = new Random(1);
        for (int i = 0; i < noisy.Length; i++)
        {
            noisy[i] = (byte)Math.Clamp(noisy[i] + rng.Next(-40, 41), 0, 255);
        }

        using var a = RestorerTrainer.Stack([image]);
        using var b = RestorerTrainer.Stack([new RgbImage(32, 32, noisy)]);
        Assert.Equal(1.0, ImageLosses.Ssim(a, a).item<float>(), 4);
        Assert.Equal(0.0, ImageLosses.SsimLoss(a, a).item<float>(), 4);
        float ssim = ImageLosses.Ssim(a, b).item<float>();
        Assert.InRange(ssim, 0.05, 0.9);
    }
}
