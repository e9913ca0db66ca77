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

    private static string Sha256(byte[] bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant();

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
    public void AStoredVersionTwoPayloadDecodesToTheSamePixelsAsItDidWhenItWasWrittenAndIsStillWrittenSo()
    {
        // Fixtures/detail-v2.bin: samples/sample.png coded at step 40 against a mid-grey 768×512 image by the encoder of
        // 2026-11-28 (syntax version 2, 16×16 and 8×8 blocks); its decoder's pixels had this SHA-256.
        byte[] payload = File.ReadAllBytes(Path.Combine(FixtureSource, "detail-v2.bin"));
        var grey = new RgbImage(768, 512, Enumerable.Repeat((byte)128, 768 * 512 * 3).ToArray());
        Assert.Equal(2, payload[0]);

        // The encoder still writes version 2 on request (for comparisons): the same bytes as the last version-2 encoder
        // (of 2026-12-07, chroma step = luma step) wrote for these inputs, in colour and luma only.
        RgbImage sample = PretrainedImageTests.LoadSample();
        Assert.Equal("a6526d9537a6f127462d544e6dbe866822cd85c81673e209bc25edfafe0ac121", Sha256(DetailLayer.Encode(sample, grey, 40, version: 2)));
        Assert.Equal("837321c9f20acb2cb35d88c92a51479aefd90fc8232cbebd8e772bce8edff32b", Sha256(DetailLayer.Encode(sample, grey, 13, lumaOnly: true, version: 2)));
        DetailLayer.Apply(payload, grey);
        string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(grey.Pixels)).ToLowerInvariant();
        Assert.True(hash == "0c38102b5e6cef9c078bb3b557a9d1f65688081ae14da48f22bbadb909dd844e", $"decoded pixels' SHA-256 {hash}");
    }

    [Fact]
    public void AStoredVersionThreePayloadDecodesToTheSamePixelsAsItDidWhenItWasWritten()
    {
        // Fixtures/detail-v3.bin: samples/sample.png coded at step 40 against a mid-grey 768×512 image by the encoder of
        // 2026-12-07 (syntax version 3: 32×32 macroblocks of 32×32, 16×16 and 8×8 blocks); its decoder's pixels had this
        // SHA-256. Written only with VQC_REGENERATE_GOLDEN=1 (an explicit act, like the golden files).
        string path = Path.Combine(FixtureSource, "detail-v3.bin");
        var grey = new RgbImage(768, 512, Enumerable.Repeat((byte)128, 768 * 512 * 3).ToArray());
        if (Environment.GetEnvironmentVariable("VQC_REGENERATE_GOLDEN") == "1")
        {
            File.WriteAllBytes(path, DetailLayer.Encode(PretrainedImageTests.LoadSample(), grey, 40, version: 3));
        }

        byte[] payload = File.ReadAllBytes(path);
        Assert.Equal(3, payload[0]);
        Assert.True(DetailPayloadReader.Summarize(payload, 768, 512).LargestBlocks > 0);
        DetailLayer.Apply(payload, grey);
        string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(grey.Pixels)).ToLowerInvariant();
        Assert.True(hash == "0322f4f2cbf31f92073696664d1e8863131dc026e4409d46d3576c597bfdb7b8", $"decoded pixels' SHA-256 {hash}");
    }

    [Fact]
    public void TheEncoderCodesSmoothResidualsInLargeBlocksAndDetailInSmallOnes()
    {
        // Left half: a gentle ramp over the decoded image (one 32×32 block holds it in a few levels); right half: every
        // 8×8 block its own flat offset (8×8 blocks hold it in one DC level each; a larger block needs many).
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
        var levels = new int[DetailLayerSyntax.MaxCoefficients];
        int largestLeft = 0, smallRight = 0;
        while (!reader.Done)
        {
            reader.ReadBlock(levels, out DetailBlockPlacement p);
            if (p.Component == 0 && p.X < w / 2 && p.Side == 32)
            {
                largestLeft += 32 * 32;
            }
            else if (p.Component == 0 && p.X >= w / 2 && p.Side == 8)
            {
                smallRight += 8 * 8;
            }
        }

        int half = w / 2 * h;
        Assert.True(largestLeft >= half * 3 / 4, $"{largestLeft} of {half} smooth pixels in 32×32 blocks");
        Assert.True(smallRight >= half * 3 / 4, $"{smallRight} of {half} detailed pixels in 8×8 blocks");
    }

    [Fact]
    public void TheEncodersFast32PointTransformIsTheDctToSinglePrecision()
    {
        // Against the definition: X[l, k] = Σ_y Σ_x c(l) c(k) cos(π(2y+1)l/64) cos(π(2x+1)k/64) block[y, x].
        var rng = new Random(9);
        var block = new double[1024];
        for (int i = 0; i < block.Length; i++)
        {
            block[i] = (rng.NextDouble() * 510) - 255;
        }

        double[] fast = (double[])block.Clone();
        DetailLayer.Forward32(fast);
        double C(int k) => k == 0 ? Math.Sqrt(1.0 / 32) : Math.Sqrt(2.0 / 32);
        double worst = 0;
        foreach ((int l, int k) in new[] { (0, 0), (0, 1), (1, 0), (5, 17), (31, 31), (16, 2), (30, 3), (7, 29) })
        {
            double sum = 0;
            for (int y = 0; y < 32; y++)
            {
                for (int x = 0; x < 32; x++)
                {
                    sum += C(l) * C(k) * Math.Cos(Math.PI * ((2 * y) + 1) * l / 64) * Math.Cos(Math.PI * ((2 * x) + 1) * k / 64) * block[(y * 32) + x];
                }
            }

            worst = Math.Max(worst, Math.Abs(sum - fast[(l * 32) + k]));
        }

        Assert.True(worst < 5e-3, $"largest error {worst} (coefficients up to about 8,000)");
    }

    [Fact]
    public void MalformedPayloadsFailWithInvalidData()
    {
        (RgbImage source, RgbImage decoded) = Pair(64, 40);
        byte[] payload = DetailLayer.Encode(source, decoded, 6);
        Assert.Throws<VqcFormatException>(() => Applied(payload[..(payload.Length / 2)], decoded));
        Assert.Throws<VqcFormatException>(() => Applied([4, .. payload[1..]], decoded));
        Assert.Throws<VqcFormatException>(() => Applied([0, .. payload[1..]], decoded));
        Assert.Throws<VqcFormatException>(() => Applied([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], decoded));
        Assert.Throws<VqcFormatException>(() => Applied([2, 0, 0, 0, 0, 0, 0, 0, 0, 0], decoded));
        Assert.Throws<VqcFormatException>(() => Applied([3, 0, 0, 0, 0, 0, 0, 0, 0, 0], decoded));
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
