using VqCodec.Container;
using VqCodec.Codec.Image;
using VqCodec.Codec.Metrics;

namespace VqCodec.Codec.Tests;

/// <summary>The image detail layer on its own: a DCT residual coder between a source and a decoded image.</summary>
public class DetailLayerTests
{
    /// <summary>A textured source and a smoothed, offset copy of it standing in for the token-decoded image.</summary>
    private static (RgbImage Source, RgbImage Decoded) Pair(int w, int h)
    {
        RgbImage source = TinyModels.Gradient(w, h, 7);
        var decoded = new byte[source.Pixels.Length];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int i = ((y * w) + x) * 3, j = ((y * w) + Math.Max(0, x - 1)) * 3;
                for (int c = 0; c < 3; c++)
                {
                    decoded[i + c] = (byte)Math.Clamp(((source.Pixels[i + c] + source.Pixels[j + c]) / 2) + 9, 0, 255);
                }
            }
        }

        return (source, new RgbImage(w, h, decoded));
    }

    /// <summary>The test project's Fixtures folder in the source tree (where regeneration writes).</summary>
    private static string FixtureSource
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "VqCodec.sln")))
            {
                dir = Path.GetDirectoryName(dir);
            }

            return Path.Combine(dir ?? throw new InvalidOperationException("repository root not found"), "tests", "VqCodec.Codec.Tests", "Fixtures");
        }
    }

    private static RgbImage Applied(byte[] payload, RgbImage decoded)
    {
        var copy = new RgbImage(decoded.Width, decoded.Height, (byte[])decoded.Pixels.Clone());
        DetailLayer.Apply(payload, copy);
        return copy;
    }

    [Fact]
    public void FinerStepsCostMoreAndComeCloser()
    {
        (RgbImage source, RgbImage decoded) = Pair(67, 45);
        double previousPsnr = ImageMetrics.Psnr(source, decoded);
        int previousBytes = 0;
        foreach (double step in new[] { 24.0, 8, 4, 2 })
        {
            byte[] payload = DetailLayer.Encode(source, decoded, step);
            double psnr = ImageMetrics.Psnr(source, Applied(payload, decoded));
            Assert.True(psnr > previousPsnr + 1, $"step {step}: {psnr:F2} dB after {previousPsnr:F2} dB");
            Assert.True(payload.Length > previousBytes, $"step {step}: {payload.Length} bytes after {previousBytes}");
            Assert.Equal(step, DetailLayerHeader.Read(payload).LumaStep);
            (previousPsnr, previousBytes) = (psnr, payload.Length);
        }

        Assert.True(previousPsnr > 40, $"step 2 reaches only {previousPsnr:F2} dB");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(9, 8)]
    [InlineData(8, 17)]
    public void AnySizeRoundTripsDeterministically(int w, int h)
    {
        (RgbImage source, RgbImage decoded) = Pair(w, h);
        byte[] a = DetailLayer.Encode(source, decoded, 4), b = DetailLayer.Encode(source, decoded, 4);
        Assert.Equal(a, b);
        Assert.True(ImageMetrics.Psnr(source, Applied(a, decoded)) > ImageMetrics.Psnr(source, decoded));
    }

    [Fact]
    public void AStoredPayloadDecodesToTheSamePixelsAsItDidWhenItWasWritten()
    {
        // Fixtures/detail-v1.bin: the detail layer of samples/sample.png at step 40 written by the encoder of
        // 2026-11-27; that day's decoder added it to a mid-grey 768×512 image with this SHA-256 of the pixels. The
        // layer's syntax is bit-exact (integer range coder, IEEE double transforms), so this pins it.
        byte[] payload = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "detail-v1.bin"));
        Assert.Equal(1, payload[0]);
        var image = new RgbImage(768, 512, Enumerable.Repeat((byte)128, 768 * 512 * 3).ToArray());
        DetailLayer.Apply(payload, image);
        Assert.Equal("5015ba99fcc49bc9748e1081277e318cf05a030dfd224ff2d9f5bfb5a3788dc5", Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(image.Pixels)).ToLowerInvariant());

        (RgbImage source, RgbImage decoded) = Pair(40, 24);
        Assert.Equal(DetailLayerHeader.CurrentVersion, DetailLayer.Encode(source, decoded, 8)[0]);
    }

    [Fact]
    public void AStoredVersionTwoPayloadDecodesToTheSamePixelsAsItDidWhenItWasWritten()
    {
        // Fixtures/detail-v2.bin: samples/sample.png coded at step 40 against a mid-grey 768×512 image by the encoder of
        // 2026-11-28 (syntax version 2, 16×16 and 8×8 blocks); its decoder's pixels had this SHA-256. Written only
        // with VQC_REGENERATE_GOLDEN=1 (an explicit act, like the golden files).
        string path = Path.Combine(FixtureSource, "detail-v2.bin");
        var grey = new RgbImage(768, 512, Enumerable.Repeat((byte)128, 768 * 512 * 3).ToArray());
        if (Environment.GetEnvironmentVariable("VQC_REGENERATE_GOLDEN") == "1")
        {
            RgbImage sample = PretrainedImageTests.LoadSample();
            File.WriteAllBytes(path, DetailLayer.Encode(sample, grey, 40));
        }

        byte[] payload = File.ReadAllBytes(path);
        Assert.Equal(2, payload[0]);
        DetailLayer.Apply(payload, grey);
        string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(grey.Pixels)).ToLowerInvariant();
        Assert.True(hash == "0c38102b5e6cef9c078bb3b557a9d1f65688081ae14da48f22bbadb909dd844e", $"decoded pixels' SHA-256 {hash}");
    }

    [Fact]
    public void TheEncoderCodesSmoothResidualsInLargeBlocksAndDetailInSmallOnes()
    {
        // Left half: a gentle ramp over the decoded image (one 16×16 block holds it in a few levels); right half: every
        // 8×8 block its own flat offset (four 8×8 blocks hold it in four DC levels; one 16×16 block needs many).
        const int w = 128, h = 64;
        var decoded = new RgbImage(w, h, Enumerable.Repeat((byte)100, w * h * 3).ToArray());
        var pixels = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int v = x < w / 2 ? 100 + (x / 4) + (y / 8) : 100 + ((((x / 8) * 7) + ((y / 8) * 13)) % 5 * 20) - 40;
                pixels[(((y * w) + x) * 3) + 0] = pixels[(((y * w) + x) * 3) + 1] = pixels[(((y * w) + x) * 3) + 2] = (byte)v;
            }
        }

        byte[] payload = DetailLayer.Encode(new RgbImage(w, h, pixels), decoded, 4);
        var reader = new DetailPayloadReader(payload, w, h);
        var levels = new int[256];
        int largeLeft = 0, largeRight = 0;
        for (int mb = 0; mb < (w / 16) * (h / 16) * 3; mb++)
        {
            bool luma = reader.Component == 0;
            int column = mb % (w / 16);
            int side = reader.ReadMacroblock();
            if (luma && side == 16)
            {
                _ = column < w / 32 ? largeLeft++ : largeRight++;
            }

            for (int b = 0; b < (16 / side) * (16 / side); b++)
            {
                reader.ReadBlock(levels);
            }
        }

        int perHalf = (w / 32) * (h / 16);
        Assert.True(largeLeft >= perHalf * 3 / 4, $"{largeLeft} of {perHalf} smooth macroblocks coded as 16×16");
        Assert.True(largeRight <= perHalf / 4, $"{largeRight} of {perHalf} detailed macroblocks coded as 16×16");
    }

    [Fact]
    public void MalformedPayloadsFailWithInvalidData()
    {
        (RgbImage source, RgbImage decoded) = Pair(64, 40);
        byte[] payload = DetailLayer.Encode(source, decoded, 6);
        Assert.Throws<VqcFormatException>(() => Applied(payload[..(payload.Length / 2)], decoded));
        Assert.Throws<VqcFormatException>(() => Applied([3, .. payload[1..]], decoded));
        Assert.Throws<VqcFormatException>(() => Applied([0, .. payload[1..]], decoded));
        Assert.Throws<VqcFormatException>(() => Applied([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], decoded));
        Assert.Throws<VqcFormatException>(() => Applied([2, 0, 0, 0, 0, 0, 0, 0, 0, 0], decoded));
        Assert.Throws<VqcFormatException>(() => Applied(payload[..4], decoded));

        // Flipped bits either decode to some image or fail as invalid data; nothing else escapes.
        var rng = new Random(3);
        for (int trial = 0; trial < 200; trial++)
        {
            byte[] bad = (byte[])payload.Clone();
            bad[5 + rng.Next(bad.Length - 5)] ^= (byte)(1 << rng.Next(8));
            try
            {
                Applied(bad, decoded);
            }
            catch (VqcFormatException)
            {
            }
        }
    }
}
