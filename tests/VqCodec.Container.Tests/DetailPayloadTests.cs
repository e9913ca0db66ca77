using VqCodec.Container;

namespace VqCodec.Container.Tests;

/// <summary>The detail layer's block syntax (spec §4a): <see cref="DetailPayloadWriter"/> and <see cref="DetailPayloadReader"/>.</summary>
public sealed class DetailPayloadTests
{
    private static readonly DetailLayerHeader Header = new(DetailLayerHeader.CurrentVersion, 16 * 10, 16 * 15);

    private static readonly DetailLayerHeader HeaderV1 = Header with { Version = 1 };

    /// <summary>A random block of <paramref name="n"/> levels in zigzag order: about a third not coded, small levels, now and then a large one.</summary>
    private static int[] Block(TestData.Rng rng, int n)
    {
        var levels = new int[n];
        if (rng.NextDouble() > 0.35)
        {
            int last = (int)(rng.NextDouble() * n);
            for (int k = 0; k <= last; k++)
            {
                double u = rng.NextDouble();
                int m = u < 0.6 ? 0 : u < 0.85 ? 1 : u < 0.97 ? 2 + (int)(rng.NextDouble() * 4) : 40 + (int)(rng.NextDouble() * 100_000);
                levels[k] = rng.NextDouble() < 0.5 ? -m : m;
            }

            levels[last] = levels[last] == 0 ? 1 : levels[last];
        }

        return levels;
    }

    /// <summary>
    /// Random macroblocks for an image of <paramref name="width"/> × <paramref name="height"/> in syntax order: each a
    /// size (null in version 1; in version 2 about 40 % large) and its blocks.
    /// </summary>
    private static (bool? Large, int[][] Blocks)[] Macroblocks(byte version, int width, int height, ulong seed)
    {
        var rng = new TestData.Rng(seed);
        (int across, int down) = DetailLayerSyntax.MacroblockCounts(version, width, height);
        var result = new (bool?, int[][])[across * down * 3];
        for (int i = 0; i < result.Length; i++)
        {
            bool? large = version == 1 ? null : rng.NextDouble() < 0.4;
            result[i] = (large, large == true ? [Block(rng, 256)] : [.. Enumerable.Range(0, version == 1 ? 1 : 4).Select(_ => Block(rng, 64))]);
        }

        return result;
    }

    private static int Last(int[] levels) => Array.FindLastIndex(levels, v => v != 0);

    private static byte[] Write(DetailLayerHeader header, (bool? Large, int[][] Blocks)[] macroblocks, int width, int height)
    {
        var writer = new DetailPayloadWriter(header, width, height);
        foreach ((bool? large, int[][] blocks) in macroblocks)
        {
            Assert.Equal(large is not null, writer.AtMacroblock);
            if (large is bool l)
            {
                writer.WriteSize(l);
            }

            foreach (int[] block in blocks)
            {
                Assert.Equal(block.Length == 256 ? 16 : 8, writer.BlockSide);
                writer.WriteBlock(block, Last(block));
            }
        }

        return writer.ToPayload();
    }

    [Theory]
    [InlineData(1, 8, 8)]
    [InlineData(1, 37, 21)]
    [InlineData(1, 130, 9)]
    [InlineData(2, 8, 8)]
    [InlineData(2, 37, 21)]
    [InlineData(2, 130, 9)]
    [InlineData(2, 16, 48)]
    public void BlocksRoundTripInSyntaxOrder(byte version, int width, int height)
    {
        DetailLayerHeader header = Header with { Version = version };
        (bool? Large, int[][] Blocks)[] macroblocks = Macroblocks(version, width, height, (ulong)(width + height + version));
        byte[] payload = Write(header, macroblocks, width, height);
        Assert.Equal(header, DetailLayerHeader.Read(payload));

        var reader = new DetailPayloadReader(payload, width, height);
        (int across, _) = DetailLayerSyntax.MacroblockCounts(version, width, height);
        Assert.Equal(version == 1 ? 8 : 16, reader.MacroblockSize);
        var levels = new int[256];
        for (int m = 0; m < macroblocks.Length; m++)
        {
            Assert.Equal(m / across % 3, reader.Component);
            Assert.Equal(macroblocks[m].Large == true ? 16 : 8, reader.ReadMacroblock());
            foreach (int[] block in macroblocks[m].Blocks)
            {
                Assert.Equal(Last(block) >= 0, reader.ReadBlock(levels));
                Assert.Equal(block, levels[..block.Length]);
            }
        }

        Assert.Throws<InvalidOperationException>(() => reader.ReadBlock(levels));
        Assert.Throws<InvalidOperationException>(() => reader.ReadMacroblock());
        DetailPayloadReader.Validate(payload, width, height);
        Assert.Equal(
            new DetailLayerSummary(version, macroblocks.Length, macroblocks.Count(m => m.Large == true), macroblocks.Sum(m => m.Blocks.Length), macroblocks.Sum(m => m.Blocks.Count(b => Last(b) >= 0))),
            DetailPayloadReader.Summarize(payload, width, height));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void PricedBitsMatchTheCodedSize(byte version)
    {
        (bool? Large, int[][] Blocks)[] macroblocks = Macroblocks(version, 128, 96, 5);
        var writer = new DetailPayloadWriter(Header with { Version = version }, 128, 96);
        double bits = 0;
        foreach ((bool? large, int[][] blocks) in macroblocks)
        {
            if (large is bool l)
            {
                // At the size flag either block size can be priced; the chosen one costs what it will after the flag
                // when the macroblock's first block is priced with the same neighbours.
                double before = writer.BlockBits(blocks[0], Last(blocks[0]), l);
                bits += writer.SizeBits(l);
                writer.WriteSize(l);
                Assert.Equal(before, writer.BlockBits(blocks[0], Last(blocks[0])), 9);
            }

            foreach (int[] block in blocks)
            {
                bits += writer.BlockBits(block, Last(block));
                writer.WriteBlock(block, Last(block));
            }
        }

        // The range coder spends what the adaptive probabilities price, within its flush and rounding.
        int coded = writer.ToPayload().Length - DetailLayerHeader.Size;
        Assert.InRange(coded * 8.0, bits * 0.99, (bits * 1.01) + 64);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void EveryEndPricedAtOnceCostsWhatBlockBitsPricesForIt(byte version)
    {
        (bool? Large, int[][] Blocks)[] macroblocks = Macroblocks(version, 64, 48, 17);
        var writer = new DetailPayloadWriter(Header with { Version = version }, 64, 48);
        var ends = new double[257];
        int checkedEnds = 0;
        foreach ((bool? large, int[][] blocks) in macroblocks)
        {
            if (large is bool l)
            {
                writer.WriteSize(l);
            }

            foreach (int[] block in blocks)
            {
                int last = Last(block);
                writer.PriceEnds(block, last, ends);
                Assert.Equal(writer.BlockBits(block, -1), ends[0], 9);
                for (int k = 0; k <= last; k++)
                {
                    if (block[k] == 0)
                    {
                        Assert.True(double.IsNaN(ends[k + 1]));
                        continue;
                    }

                    int[] truncated = [.. block[..(k + 1)], .. new int[block.Length - k - 1]];
                    Assert.Equal(writer.BlockBits(truncated, k), ends[k + 1], 9);
                    checkedEnds++;
                }

                writer.WriteBlock(block, last);
            }
        }

        Assert.True(checkedEnds > 100);
        Assert.Throws<ArgumentException>(() => new DetailPayloadWriter(Header, 16, 16).PriceEnds(new int[256], 0, new double[2]));
    }

    [Fact]
    public void VersionTwoWriterRefusesBlocksBeforeTheirSize()
    {
        var writer = new DetailPayloadWriter(Header, 16, 16);
        var levels = new int[256];
        levels[0] = 3;
        Assert.True(writer.AtMacroblock);
        Assert.Equal(0, writer.BlockSide);
        Assert.Throws<InvalidOperationException>(() => writer.WriteBlock(levels, 0));
        Assert.Throws<ArgumentException>(() => writer.BlockBits(levels, 0));
        writer.WriteSize(true);
        Assert.Throws<InvalidOperationException>(() => writer.WriteSize(true));
        Assert.Throws<ArgumentException>(() => writer.BlockBits(levels, 0, large: false));
        Assert.Throws<ArgumentException>(() => writer.WriteBlock(levels, 256));
        writer.WriteBlock(levels, 0);
        Assert.True(writer.AtMacroblock);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DetailPayloadWriter(Header with { Version = 3 }, 16, 16));
    }

    [Fact]
    public void WriterRefusesMisuse()
    {
        var writer = new DetailPayloadWriter(HeaderV1, 8, 8);
        var levels = new int[64];
        levels[3] = 2;
        Assert.Throws<ArgumentException>(() => writer.WriteBlock(levels, 5));
        Assert.Throws<InvalidOperationException>(() => writer.ToPayload());
        Assert.False(writer.AtMacroblock);
        Assert.Throws<InvalidOperationException>(() => writer.WriteSize(false));
        writer.WriteBlock(levels, 3);
        writer.WriteBlock(new int[64], -1);
        writer.WriteBlock(new int[64], -1);
        Assert.Throws<InvalidOperationException>(() => writer.WriteBlock(levels, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DetailPayloadWriter(Header, 0, 8));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void MalformedPayloadsFailAsFormatErrors(byte version)
    {
        byte[] payload = Write(Header with { Version = version }, Macroblocks(version, 64, 40, 11), 64, 40);
        foreach (byte[] bad in new[] { payload[..(payload.Length / 2)], [3, .. payload[1..]], [0, .. payload[1..]], payload[..4], [version, 16, 0, 24, 0, 0, 0] })
        {
            Assert.Throws<VqcFormatException>(() => DetailPayloadReader.Validate(bad, 64, 40));
        }

        // A payload for a small image does not cover a larger one.
        Assert.Throws<VqcFormatException>(() => DetailPayloadReader.Validate(payload, 640, 400));

        // Flipped bits either parse or fail as format errors; nothing else escapes.
        var rng = new Random(3);
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] flipped = (byte[])payload.Clone();
            flipped[5 + rng.Next(flipped.Length - 5)] ^= (byte)(1 << rng.Next(8));
            try
            {
                DetailPayloadReader.Validate(flipped, 64, 40);
            }
            catch (VqcFormatException)
            {
            }
        }
    }

    [Fact]
    public void ZigzagVisitsEveryPositionOnceAlongAntiDiagonals()
    {
        ReadOnlySpan<int> z = DetailLayerSyntax.Zigzag;
        Assert.Equal(Enumerable.Range(0, 64), z.ToArray().Order());
        Assert.Equal([0, 1, 8, 16, 9, 2, 3, 10], z[..8].ToArray());
        Assert.Equal(63, z[63]);
        ReadOnlySpan<int> large = DetailLayerSyntax.LargeZigzag;
        Assert.Equal(Enumerable.Range(0, 256), large.ToArray().Order());
        Assert.Equal([0, 1, 16, 32, 17, 2, 3, 18], large[..8].ToArray());
        Assert.Equal(255, large[255]);
    }
}
