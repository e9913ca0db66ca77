using VqCodec.Codec.Image;
using VqCodec.Codec.Metrics;
using VqCodec.Container;

namespace VqCodec.Codec.Tests;

/// <summary>The deblocking filter for images decoded without the restoration network.</summary>
public class DeblockingTests
{
    /// <summary>A flat grey image whose right half from x = 16 on is <paramref name="step"/> levels brighter (a vertical edge at x = 16).</summary>
    private static RgbImage Step(int step)
    {
        var px = new byte[32 * 16 * 3];
        for (int y = 0; y < 16; y++)
        {
            for (int x = 0; x < 32; x++)
            {
                px[(((y * 32) + x) * 3) + 0] = px[(((y * 32) + x) * 3) + 1] = px[(((y * 32) + x) * 3) + 2] = (byte)(100 + (x >= 16 ? step : 0));
            }
        }

        return new RgbImage(32, 16, px);
    }

    private static DetailBlockMap Map(bool coded)
    {
        var map = new DetailBlockMap(32, 16);
        map.Mark(0, 0, 16, coded);
        map.Mark(16, 0, 16, false);
        return map;
    }

    private static int At(RgbImage image, int x, int y) => image.Pixels[((y * image.Width) + x) * 3];

    [Fact]
    public void ASmallStepAtACodedBlockEdgeIsSmoothedAndTheRestKept()
    {
        RgbImage image = Step(6);
        DetailDeblocking.Apply(image, Map(coded: true), 32);

        // Step 6 < α = 32 with flat sides (< β = 12): p0 and q0 move toward each other by (4·6 − 6) / 8 = 2.25 (under
        // tc = 6), p1 and q1 by 1.5 toward the mean of p0 and q0; halves round away from zero.
        Assert.Equal(new[] { 100, 102, 102, 104, 105, 106 }, Enumerable.Range(13, 6).Select(x => At(image, x, 5)));
        Assert.Equal(100, At(image, 4, 5));
        Assert.Equal(106, At(image, 28, 5));
        Assert.True(Enumerable.Range(0, 16).All(y => At(image, 15, y) == At(image, 15, 0)), "every row filtered alike");
    }

    [Fact]
    public void AnEdgeTwoPixelsFromTheRightBorderDoesNotReadTheNextRow()
    {
        // 18 pixels wide: the edge at x = 16 has q0 and q1 but no q2; the pixel after q1 in memory is the next row's first.
        var px = new byte[18 * 8 * 3];
        for (int i = 0; i < px.Length; i++)
        {
            px[i] = (byte)(i / 3 % 18 >= 16 ? 106 : 100);
        }

        var image = new RgbImage(18, 8, px);
        var map = new DetailBlockMap(18, 8);
        map.Mark(0, 0, 16, true);
        map.Mark(16, 0, 16, false);
        DetailDeblocking.Apply(image, map, 32);

        // p0, q0 and p1 move as on any edge; q1 has no outer neighbour, so it stays (the next row's 100 would have pulled it to 102).
        Assert.All(Enumerable.Range(0, 8), y => Assert.Equal(new[] { 102, 102, 104, 106 }, Enumerable.Range(14, 4).Select(x => At(image, x, y))));
    }

    [Fact]
    public void AStepAboveAlphaAndEdgesOfUncodedBlocksAreLeftAlone()
    {
        RgbImage strong = Step(40);
        byte[] before = (byte[])strong.Pixels.Clone();
        DetailDeblocking.Apply(strong, Map(coded: true), 32);
        Assert.Equal(before, strong.Pixels);

        RgbImage uncoded = Step(6);
        before = (byte[])uncoded.Pixels.Clone();
        DetailDeblocking.Apply(uncoded, Map(coded: false), 32);
        Assert.Equal(before, uncoded.Pixels);
    }

    [Fact]
    public void InnerEdgesOfAMacroblockAreBlockEdgesOnlyWhereItWasSplit()
    {
        var map = new DetailBlockMap(48, 48);
        map.Mark(0, 0, 16, true);
        for (int s = 0; s < 4; s++)
        {
            map.Mark(16 + (s % 2 * 8), s / 2 * 8, 8, s == 0);
        }

        map.Mark(0, 16, 16, false);
        map.Mark(16, 16, 16, false);
        map.Mark(32, 0, 32, true);

        Assert.False(map.FilterVertical(1, 0));   // x = 8 inside the 16×16 block
        Assert.True(map.FilterVertical(2, 0));    // x = 16: macroblock edge, left side coded
        Assert.True(map.FilterVertical(3, 0));    // x = 24 inside the split macroblock, its left block coded
        Assert.False(map.FilterVertical(3, 1));   // the same edge between two uncoded 8×8 blocks
        Assert.True(map.FilterHorizontal(2, 1));  // y = 8 below the coded 8×8 block
        Assert.False(map.FilterHorizontal(0, 1)); // y = 8 inside the 16×16 block
        Assert.True(map.FilterHorizontal(0, 2));  // y = 16: macroblock edge below the coded 16×16 block
        Assert.False(map.FilterHorizontal(2, 2)); // y = 16 below an uncoded 8×8 block, nothing coded under it
        Assert.True(map.FilterVertical(4, 0));    // x = 32: the edge of a coded 32×32 block
        Assert.False(map.FilterVertical(5, 1));   // x = 40 inside it
        Assert.False(map.FilterHorizontal(4, 2)); // y = 16 inside it
    }

    [Fact]
    [Trait("Category", "Pretrained")]
    public void DecodingWithoutTheRestorerDeblocksByDefaultAndGainsOnTheSample()
    {
        ImageModel model = ImageModel.LoadPretrained();
        RgbImage image = PretrainedImageTests.LoadSample();
        VqcDocument doc = ImageCodec.EncodeDocument(model, image, new ImageEncodeOptions { DetailStep = 40 });
        RgbImage raw = ImageCodec.DecodeDocument(model, doc, new ImageDecodeOptions { Restore = false, Deblock = false });
        RgbImage deblocked = ImageCodec.DecodeDocument(model, doc, new ImageDecodeOptions { Restore = false });
        Assert.True(ImageMetrics.Psnr(image, deblocked) > ImageMetrics.Psnr(image, raw) + 0.05, $"{ImageMetrics.Psnr(image, deblocked):F3} against {ImageMetrics.Psnr(image, raw):F3} dB");
        Assert.True(ImageMetrics.Blockiness(deblocked) < ImageMetrics.Blockiness(raw) / 2, $"blockiness {ImageMetrics.Blockiness(deblocked):F3} against {ImageMetrics.Blockiness(raw):F3}");

        // With the restorer the filter is not applied: the restorer was trained on unfiltered images.
        Assert.Equal(ImageCodec.DecodeDocument(model, doc).Pixels, ImageCodec.DecodeDocument(model, doc, new ImageDecodeOptions { Deblock = false }).Pixels);
    }
}
