using VqCodec.Container;

namespace VqCodec.Container.Tests;

/// <summary>The detail layer's block syntax (spec §4a): <see cref="DetailPayloadWriter"/> and <see cref="DetailPayloadReader"/>.</summary>
public sealed class DetailPayloadTests
{
    private static readonly DetailLayerHeader Header = new(DetailLayerHeader.CurrentVersion, 16 * 10, 16 * 15);

    /// <summary>Random blocks in zigzag order: about a third not coded, small levels, now and then a large one.</summary>
    private static int[][] Blocks(int count, ulong seed)
    {
        var rng = new TestData.Rng(seed);
        var blocks = new int[count][];
        for (int b = 0; b < count; b++)
        {
            var levels = new int[DetailLayerSyntax.Coefficients];
            if (rng.NextDouble() > 0.35)
            {
                int last = (int)(rng.NextDouble() * 64);
                for (int k = 0; k <= last; k++)
                {
                    double u = rng.NextDouble();
                    int m = u < 0.6 ? 0 : u < 0.85 ? 1 : u < 0.97 ? 2 + (int)(rng.NextDouble() * 4) : 40 + (int)(rng.NextDouble() * 100_000);
                    levels[k] = rng.NextDouble() < 0.5 ? -m : m;
                }

                levels[last] = levels[last] == 0 ? 1 : levels[last];
            }

            blocks[b] = levels;
        }

        return blocks;
    }

    private static int Last(int[] levels) => Array.FindLastIndex(levels, v => v != 0);

    private static byte[] Write(int[][] blocks, int width, int height)
    {
        var writer = new DetailPayloadWriter(Header, width, height);
        foreach (int[] block in blocks)
        {
            writer.WriteBlock(block, Last(block));
        }

        return writer.ToPayload();
    }

    [Theory]
    [InlineData(8, 8)]
    [InlineData(37, 21)]
    [InlineData(130, 9)]
    public void BlocksRoundTripInSyntaxOrder(int width, int height)
    {
        (int across, int down) = DetailLayerSyntax.BlockCounts(width, height);
        int[][] blocks = Blocks(across * down * 3, (ulong)(width + height));
        byte[] payload = Write(blocks, width, height);
        Assert.Equal(Header, DetailLayerHeader.Read(payload));

        var reader = new DetailPayloadReader(payload, width, height);
        var levels = new int[64];
        for (int b = 0; b < blocks.Length; b++)
        {
            Assert.Equal(b / across % 3, reader.Component);
            Assert.Equal(Last(blocks[b]) >= 0, reader.ReadBlock(levels));
            Assert.Equal(blocks[b], levels);
        }

        Assert.Throws<InvalidOperationException>(() => reader.ReadBlock(levels));
        DetailPayloadReader.Validate(payload, width, height);
    }

    [Fact]
    public void PricedBitsMatchTheCodedSize()
    {
        int[][] blocks = Blocks(3 * 16 * 12, 5);
        var writer = new DetailPayloadWriter(Header, 128, 96);
        double bits = 0;
        foreach (int[] block in blocks)
        {
            bits += writer.BlockBits(block, Last(block));
            writer.WriteBlock(block, Last(block));
        }

        // The range coder spends what the adaptive probabilities price, within its flush and rounding.
        int coded = writer.ToPayload().Length - DetailLayerHeader.Size;
        Assert.InRange(coded * 8.0, bits * 0.99, (bits * 1.01) + 64);
    }

    [Fact]
    public void WriterRefusesMisuse()
    {
        var writer = new DetailPayloadWriter(Header, 8, 8);
        var levels = new int[64];
        levels[3] = 2;
        Assert.Throws<ArgumentException>(() => writer.WriteBlock(levels, 5));
        Assert.Throws<InvalidOperationException>(() => writer.ToPayload());
        writer.WriteBlock(levels, 3);
        writer.WriteBlock(new int[64], -1);
        writer.WriteBlock(new int[64], -1);
        Assert.Throws<InvalidOperationException>(() => writer.WriteBlock(levels, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DetailPayloadWriter(Header, 0, 8));
    }

    [Fact]
    public void MalformedPayloadsFailAsFormatErrors()
    {
        int[][] blocks = Blocks(3 * 8 * 5, 11);
        byte[] payload = Write(blocks, 64, 40);
        foreach (byte[] bad in new[] { payload[..(payload.Length / 2)], [2, .. payload[1..]], payload[..4], [1, 16, 0, 24, 0, 0, 0] })
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
    }
}
