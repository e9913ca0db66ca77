using TorchSharp;
using VqCodec.Codec.Image;
using VqCodec.Codec.Models;
using static TorchSharp.torch;

namespace VqCodec.Codec.Tests;

/// <summary>
/// The memory-lean inference paths (design.md, "Native allocator") compute what the plain ones do: the region reader,
/// the residual block without gradients, the restorer in strips, and the allocator settings taking effect.
/// </summary>
public class InferenceMemoryTests
{
    private static RgbImage Noise(int width, int height, int seed)
    {
        var rng = new Random(seed);
        var px = new byte[width * height * 3];
        rng.NextBytes(px);
        return new RgbImage(width, height, px);
    }

    [Theory]
    [InlineData(0, 0, 40, 24)]
    [InlineData(16, 8, 40, 24)]
    [InlineData(24, 20, 32, 32)]
    [InlineData(36, 0, 16, 8)]
    public void RegionReadsThePixelsWithTheLastRowAndColumnRepeated(int x0, int y0, int w, int h)
    {
        RgbImage image = Noise(37, 29, 3);
        using var scope = NewDisposeScope();
        float[] got = ImageTiling.Region(image, x0, y0, w, h).data<float>().ToArray();
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    int sx = Math.Min(x0 + x, image.Width - 1), sy = Math.Min(y0 + y, image.Height - 1);
                    float expected = image.Pixels[(((sy * image.Width) + sx) * 3) + c] / 255f;
                    Assert.Equal(expected, got[(((c * h) + y) * w) + x]);
                }
            }
        }
    }

    [Fact]
    public void TheResidualBlockWithoutGradientsEqualsTheTrainingPath()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(5);
        using var block = new ResBlock("b", 32, 3, oneDimensional: false);
        using var block1d = new ResBlock("c", 32, 3, oneDimensional: true, dilation: 3);
        Tensor x = torch.randn(2, 32, 24, 20), x1 = torch.randn(2, 32, 50);

        // Weights frozen as in a loaded model, so that oneDNN runs its inference kernels on both paths.
        foreach (var p in block.parameters().Concat(block1d.parameters()))
        {
            p.requires_grad = false;
        }

        Tensor withGrad = block.forward(x).detach(), withGrad1 = block1d.forward(x1).detach();
        using (torch.no_grad())
        {
            Assert.Equal(0f, (withGrad - block.forward(x)).abs().max().item<float>());
            Assert.Equal(0f, (withGrad1 - block1d.forward(x1)).abs().max().item<float>());
        }

        // The input is left as it was.
        Assert.Equal(0f, (withGrad - block.forward(x).detach()).abs().max().item<float>());
    }

    [Theory]
    [InlineData(768, 768, 512, 24, 272)]
    [InlineData(512, 512, 512, 24, 416)]
    [InlineData(4000, 512, 512, 24, 416)]
    [InlineData(300, 304, 200, 24, 200)]
    [InlineData(20, 24, 24, 24, 24)]
    public void StripsKeepATileWithItsContextWithinTheArea(int width, int tileX, int tileY, int margin, int expected)
    {
        int rows = ImageRestorer.StripRows(tileX, tileY, width, margin);
        Assert.Equal(expected, rows);
        Assert.Equal(0, rows % 8);
        Assert.True(rows == tileY || (Math.Min(tileX, width) + (2 * margin)) * (rows + (2 * margin)) <= ImageRestorer.TileArea);
    }

    [Fact]
    [Trait("Category", "Pretrained")]
    public void TheRestorerInStripsEqualsOnePassOverTheWholeImage()
    {
        ImageModel model = ImageModel.LoadPretrained();
        ImageRestorer restorer = model.Restorer!;
        RgbImage baseImage = PretrainedImageTests.LoadSample();
        var decoded = new RgbImage(baseImage.Width, baseImage.Height, (byte[])baseImage.Pixels.Clone());
        var rng = new Random(9);
        for (int i = 0; i < decoded.Pixels.Length; i++)
        {
            decoded.Pixels[i] = (byte)Math.Clamp(decoded.Pixels[i] + rng.Next(-6, 7), 0, 255);
        }

        byte[] whole;
        using (var scope = NewDisposeScope())
        using (torch.no_grad())
        {
            Tensor feature = torch.tensor(new[] { ImageRestorerNet.StepFeature(32) });
            Tensor restored = restorer.Network.forward(
                ImageTiling.Region(decoded, 0, 0, decoded.Width, decoded.Height), ImageTiling.Region(baseImage, 0, 0, baseImage.Width, baseImage.Height), feature);
            whole = ImageTiling.ToBytes(restored[0]).data<byte>().ToArray();
        }

        Assert.True(ImageRestorer.StripRows(decoded.Width, decoded.Height, decoded.Width, restorer.Network.Config.Margin) < decoded.Height, "the sample must restore in more than one strip");
        restorer.Apply(decoded, baseImage, 32, ImageDecodeOptions.DefaultTileSize, CancellationToken.None);
        int worst = 0, differing = 0;
        for (int i = 0; i < whole.Length; i++)
        {
            int d = Math.Abs(whole[i] - decoded.Pixels[i]);
            worst = Math.Max(worst, d);
            differing += d > 0 ? 1 : 0;
        }

        Assert.True(worst <= 1 && differing < whole.Length / 10000, $"strips differ from one pass by up to {worst} levels in {differing} samples");
    }

    [Fact]
    public void TheNativeSettingsApplyOnLinuxOnceANetworkIsLoaded()
    {
        ImageModel.LoadPretrained();
        bool optedOut = Environment.GetEnvironmentVariable("VQC_KEEP_MALLOC") == "1";
        Assert.Equal(OperatingSystem.IsLinux() && !optedOut, NativeAllocator.Applied);

        // NNPACK off, so libtorch stops printing that it cannot initialise it on CPUs it does not recognise.
        Assert.Equal(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64, NativeRuntime.NnpackOff);
    }
}
