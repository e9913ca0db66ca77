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

    /// <summary>One symbol of the syntax walk: a region's size flag (Blocks null) or a block's levels.</summary>
    private readonly record struct Item(bool Whole, int[]? Block);

    /// <summary>
    /// Random macroblocks for an image of <paramref name="width"/> × <paramref name="height"/> as the items in syntax
    /// order: every region above 8×8 a flag (about 40 % whole), every block its levels.
    /// </summary>
    private static List<Item> Items(byte version, int width, int height, ulong seed)
    {
        var rng = new TestData.Rng(seed);
        (int across, int down) = DetailLayerSyntax.MacroblockCounts(version, width, height);
        var items = new List<Item>();
        for (int i = 0; i < across * down * 3; i++)
        {
            Region(rng, items, DetailLayerSyntax.MacroblockSize(version));
        }

        return items;
    }

    private static void Region(TestData.Rng rng, List<Item> items, int side)
    {
        if (side > DetailLayerSyntax.BlockSize)
        {
            bool whole = rng.NextDouble() < 0.4;
            items.Add(new Item(whole, null));
            if (!whole)
            {
                for (int q = 0; q < 4; q++)
                {
                    Region(rng, items, side / 2);
                }

                return;
            }
        }

        items.Add(new Item(false, Block(rng, side * side)));
    }

    private static int Last(int[] levels) => Array.FindLastIndex(levels, v => v != 0);

    private static int Side(int[] block) => (int)Math.Sqrt(block.Length);

    private static byte[] Write(DetailLayerHeader header, List<Item> items, int width, int height)
    {
        var writer = new DetailPayloadWriter(header, width, height);
        foreach (Item item in items)
        {
            Assert.Equal(item.Block is null, writer.AtSizeFlag);
            if (item.Block is not int[] block)
            {
                writer.WriteSize(item.Whole);
                continue;
            }

            Assert.Equal(Side(block), writer.BlockSide);
            writer.WriteBlock(block, Last(block));
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
    [InlineData(3, 8, 8)]
    [InlineData(3, 37, 21)]
    [InlineData(3, 130, 9)]
    [InlineData(3, 32, 96)]
    public void BlocksRoundTripInSyntaxOrder(byte version, int width, int height)
    {
        DetailLayerHeader header = Header with { Version = version };
        List<Item> items = Items(version, width, height, (ulong)(width + height + version));
        byte[] payload = Write(header, items, width, height);
        Assert.Equal(header, DetailLayerHeader.Read(payload));

        var reader = new DetailPayloadReader(payload, width, height);
        int m = DetailLayerSyntax.MacroblockSize(version);
        Assert.Equal(m, reader.MacroblockSize);
        (int across, int down) = DetailLayerSyntax.MacroblockCounts(version, width, height);
        var covered = new int[3, down * m, across * m];
        var levels = new int[DetailLayerSyntax.MaxCoefficients];
        int[][] blocks = [.. items.Where(i => i.Block is not null).Select(i => i.Block!)];
        foreach (int[] block in blocks)
        {
            int row = reader.MacroblockRow, component = reader.Component;
            Assert.Equal(Last(block) >= 0, reader.ReadBlock(levels, out DetailBlockPlacement p));
            Assert.Equal(block, levels[..block.Length]);
            Assert.Equal((component, Side(block)), (p.Component, p.Side));
            Assert.Equal(row, p.Y / m);
            for (int y = p.Y; y < p.Y + p.Side; y++)
            {
                for (int x = p.X; x < p.X + p.Side; x++)
                {
                    covered[p.Component, y, x]++;
                }
            }
        }

        Assert.True(reader.Done);
        Assert.All(covered.Cast<int>(), n => Assert.Equal(1, n)); // every pixel of the grid in exactly one block per component
        Assert.Throws<InvalidOperationException>(() => reader.ReadBlock(levels, out _));
        DetailPayloadReader.Validate(payload, width, height);
        Assert.Equal(
            new DetailLayerSummary(version, across * down * 3, blocks.Length, blocks.Count(b => Last(b) >= 0), blocks.Count(b => b.Length == 256), blocks.Count(b => b.Length == 1024)),
            DetailPayloadReader.Summarize(payload, width, height));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void PricedBitsMatchTheCodedSize(byte version)
    {
        List<Item> items = Items(version, 128, 96, 5);
        var writer = new DetailPayloadWriter(Header with { Version = version }, 128, 96);
        double bits = 0;
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i].Block is not int[] block)
            {
                // At a size flag a block of any side up to the region's can be priced; the first block after the flags costs
                // what it will once they are written, as it keeps the region's top-left position and neighbours.
                int first = i;
                while (items[first].Block is null)
                {
                    first++;
                }

                int[] next = items[first].Block!;
                double before = writer.BlockBits(next, Last(next), Side(next));
                for (; i < first; i++)
                {
                    Assert.True(writer.FlagSide >= 16);
                    bits += writer.SizeBits(items[i].Whole);
                    writer.WriteSize(items[i].Whole);
                }

                Assert.Equal(before, writer.BlockBits(next, Last(next)), 9);
                block = next;
            }

            bits += writer.BlockBits(block, Last(block));
            writer.WriteBlock(block, Last(block));
        }

        // The range coder spends what the adaptive probabilities price, within its flush and rounding.
        int coded = writer.ToPayload().Length - DetailLayerHeader.Size;
        Assert.InRange(coded * 8.0, bits * 0.99, (bits * 1.01) + 64);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EveryEndPricedAtOnceCostsWhatBlockBitsPricesForIt(byte version)
    {
        List<Item> items = Items(version, 64, 48, 17);
        var writer = new DetailPayloadWriter(Header with { Version = version }, 64, 48);
        var ends = new double[DetailLayerSyntax.MaxCoefficients + 1];
        int checkedEnds = 0;
        foreach (Item item in items)
        {
            if (item.Block is not int[] block)
            {
                writer.WriteSize(item.Whole);
                continue;
            }

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
                Assert.Equal(writer.BlockBits(truncated, k), ends[k + 1], 6); // the same sums in another order
                checkedEnds++;
            }

            writer.WriteBlock(block, last);
        }

        Assert.True(checkedEnds > 100);
        Assert.Throws<ArgumentException>(() => new DetailPayloadWriter(Header, 32, 32).PriceEnds(new int[1024], 5, new double[6], 32));
        Assert.Throws<ArgumentException>(() => new DetailPayloadWriter(Header, 32, 32).PriceEnds(new int[1024], 0, new double[2]));
    }

    [Fact]
    public void VersionTwoWriterRefusesBlocksBeforeTheirSize()
    {
        var writer = new DetailPayloadWriter(Header with { Version = 2 }, 16, 16);
        var levels = new int[256];
        levels[0] = 3;
        Assert.True(writer.AtSizeFlag);
        Assert.Equal((0, 16), (writer.BlockSide, writer.FlagSide));
        Assert.Throws<InvalidOperationException>(() => writer.WriteBlock(levels, 0));
        Assert.Throws<ArgumentException>(() => writer.BlockBits(levels, 0));
        Assert.Throws<ArgumentException>(() => writer.BlockBits(levels, 0, 32));
        Assert.Throws<ArgumentException>(() => writer.SizeBits(true, 32));
        writer.WriteSize(true);
        Assert.Throws<InvalidOperationException>(() => writer.WriteSize(true));
        Assert.Throws<ArgumentException>(() => writer.BlockBits(levels, 0, 8));
        Assert.Throws<ArgumentException>(() => writer.WriteBlock(levels, 256));
        writer.WriteBlock(levels, 0);
        Assert.True(writer.AtSizeFlag);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DetailPayloadWriter(Header with { Version = 4 }, 16, 16));
    }

    [Fact]
    public void VersionThreeSplitsRegionsDownToEightByEight()
    {
        var writer = new DetailPayloadWriter(Header with { Version = 3 }, 32, 32);
        var levels = new int[1024];
        levels[1] = -2;
        Assert.Equal(32, writer.FlagSide);
        double whole32 = writer.SizeBits(true), whole16 = writer.SizeBits(true, 16);
        Assert.Equal(1.0, whole32, 9); // fresh contexts: probability 1/2
        Assert.Equal(1.0, whole16, 9);
        Assert.True(writer.BlockBits(levels, 1, 32) > 0);
        Assert.Throws<ArgumentException>(() => writer.SizeBits(true, 8));
        writer.WriteSize(false);
        Assert.Equal(16, writer.FlagSide);  // top-left quarter
        writer.WriteSize(true);
        Assert.Equal(16, writer.BlockSide);
        writer.WriteBlock(levels, 1);
        writer.WriteSize(false);            // top-right quarter: four 8×8 blocks, no flags
        for (int b = 0; b < 4; b++)
        {
            Assert.False(writer.AtSizeFlag);
            Assert.Equal(8, writer.BlockSide);
            writer.WriteBlock(levels, b == 0 ? 1 : -1);
        }

        for (int q = 0; q < 2; q++)
        {
            writer.WriteSize(true);
            writer.WriteBlock(levels, -1);
        }

        for (int c = 1; c < 3; c++)
        {
            Assert.Equal(c, writer.Component);
            writer.WriteSize(true);
            Assert.Equal(32, writer.BlockSide);
            writer.WriteBlock(levels, c == 1 ? 1 : -1);
        }

        byte[] payload = writer.ToPayload();
        var reader = new DetailPayloadReader(payload, 32, 32);
        var read = new List<DetailBlockPlacement>();
        var buffer = new int[1024];
        while (!reader.Done)
        {
            reader.ReadBlock(buffer, out DetailBlockPlacement p);
            read.Add(p);
        }

        Assert.Equal(
            [new(0, 0, 0, 16), new(0, 16, 0, 8), new(0, 24, 0, 8), new(0, 16, 8, 8), new(0, 24, 8, 8), new(0, 0, 16, 16), new(0, 16, 16, 16), new(1, 0, 0, 32), new(2, 0, 0, 32)],
            read);
        Assert.Equal(new DetailLayerSummary(3, 3, 9, 3, 3, 2), DetailPayloadReader.Summarize(payload, 32, 32));
        Assert.Throws<ArgumentException>(() => new DetailPayloadReader(payload, 32, 32).ReadBlock(new int[256], out _));
    }

    [Fact]
    public void WriterRefusesMisuse()
    {
        var writer = new DetailPayloadWriter(HeaderV1, 8, 8);
        var levels = new int[64];
        levels[3] = 2;
        Assert.Throws<ArgumentException>(() => writer.WriteBlock(levels, 5));
        Assert.Throws<InvalidOperationException>(() => writer.ToPayload());
        Assert.False(writer.AtSizeFlag);
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
    [InlineData(3)]
    public void MalformedPayloadsFailAsFormatErrors(byte version)
    {
        byte[] payload = Write(Header with { Version = version }, Items(version, 64, 40, 11), 64, 40);
        foreach (byte[] bad in new[] { payload[..(payload.Length / 2)], [4, .. payload[1..]], [0, .. payload[1..]], payload[..4], [version, 16, 0, 24, 0, 0, 0] })
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
        ReadOnlySpan<int> largest = DetailLayerSyntax.ZigzagOf(32);
        Assert.Equal(Enumerable.Range(0, 1024), largest.ToArray().Order());
        Assert.Equal([0, 1, 32, 64, 33, 2, 3, 34], largest[..8].ToArray());
        Assert.Equal(1023, largest[1023]);
    }
}
