using VqCodec.Container;
using VqCodec.Container.Coding;

namespace VqCodec.Container.Tests;

/// <summary>The learned context prior's integer inference and token coding mode 5 (spec §5b).</summary>
public class ContextPriorTests
{
    private static readonly ContextPrior Prior = TestData.Context(4, 128, 16, 3, 5);

    [Fact]
    public void SerializedFormRoundTripsAndVersion2PriorsCarryIt()
    {
        byte[] bytes = Prior.Serialize();
        ContextPrior again = ContextPrior.Deserialize(bytes);
        Assert.Equal(bytes, again.Serialize());
        Assert.Equal((4, 128, 16, 3), (again.Levels, again.CodebookSize, again.Width, again.ContextFrames));

        TokenPriors plain = TestData.Priors(4, 128, 1.0, 3);
        TokenPriors with = plain.WithContext(Prior);
        Assert.Equal(1, plain.Serialize()[4]);
        Assert.Equal(2, with.Serialize()[4]);
        Assert.NotEqual(plain.Hash, with.Hash);
        TokenPriors parsed = TokenPriors.Deserialize(with.Serialize());
        Assert.Equal(with.Hash, parsed.Hash);
        Assert.Equal(bytes, parsed.Context!.Serialize());
    }

    [Fact]
    public void TheResidualFlagChangesTheDistributionsAndRoundTrips()
    {
        ContextPrior residual = TestData.Context(4, 128, 16, 3, 5, residual: true);
        byte[] bytes = residual.Serialize();
        Assert.Equal(1, bytes[11]);
        Assert.True(ContextPrior.Deserialize(bytes).Residual);
        int[][] planes = residual.Sample(4, 50, new Random(8));
        Assert.NotEqual(Prior.IdealBits(planes), residual.IdealBits(planes));
        int[][] back = [.. planes.Select(p => new int[p.Length])];
        Assert.True(residual.Decode(residual.Encode(planes), back, new double[4]));
        Assert.Equal(planes, back);

        bytes[11] = 4; // an unknown flag
        Assert.Throws<VqcFormatException>(() => ContextPrior.Deserialize(bytes));
    }

    [Fact]
    public void EveryTruncationOfTheSerializedPriorIsRefused()
    {
        byte[] bytes = Prior.Serialize();
        foreach (int cut in new[] { 0, 3, 4, 11, 12, 100, bytes.Length / 2, bytes.Length - 1 })
        {
            Assert.Throws<VqcFormatException>(() => ContextPrior.Deserialize(bytes.AsSpan(0, cut)));
        }

        Assert.Throws<VqcFormatException>(() => ContextPrior.Deserialize([.. bytes, 0]));
        byte[] badWidth = (byte[])bytes.Clone();
        badWidth[8] = 0;
        badWidth[9] = 4; // width 1024: beyond the format's limit
        Assert.Throws<VqcFormatException>(() => ContextPrior.Deserialize(badWidth));
        byte[] badMultiplier = (byte[])bytes.Clone();
        badMultiplier[15] = 0x7F; // the first embedding multiplier becomes > 2^24
        Assert.Throws<VqcFormatException>(() => ContextPrior.Deserialize(badMultiplier));
    }

    [Fact]
    public void ItsOwnSamplesCostFewerBitsThanUniformAndRoundTripThroughTheStream()
    {
        int[][] planes = Prior.Sample(4, 60, new Random(3));
        double[] bits = Prior.IdealBits(planes);
        Assert.True(bits.Sum() < 0.8 * 4 * 60 * 7, $"{bits.Sum():F0} bits for 240 tokens of 7 bits");

        byte[] coded = Prior.Encode(planes);
        Assert.InRange(coded.Length, (bits.Sum() / 8) - 1, (bits.Sum() / 8) + 8);
        int[][] decoded = [.. planes.Select(p => new int[p.Length])];
        double[] decodedBits = new double[4];
        Assert.True(Prior.Decode(coded, decoded, decodedBits));
        Assert.Equal(planes, decoded);
        Assert.Equal(bits, decodedBits);
    }

    [Fact]
    public void TheWriterPicksContextCodingWhenItIsSmallerAndTheReaderRestoresTheTokens()
    {
        TokenPriors priors = TestData.Priors(4, 128, 1.0, 9).WithContext(Prior);
        VqcHeader h = TestData.Speech(120 * 320, 120, 30, 4, 128, priors.Hash);
        int[][][] segments = [.. Enumerable.Range(0, 4).Select(s => Prior.Sample(4, 30, new Random(s)))];
        int[][] tokens = [.. Enumerable.Range(0, 4).Select(l => segments.SelectMany(seg => seg[l]).ToArray())];
        var doc = new VqcDocument(h, tokens);
        byte[] smallest = TestData.Write(doc, new VqcWriterOptions { Priors = priors });
        byte[] without = TestData.Write(doc, new VqcWriterOptions { Priors = priors, Policy = TokenCodingPolicy.SmallestWithoutContext });
        Assert.True(smallest.Length < without.Length, $"{smallest.Length} vs {without.Length} bytes");
        Assert.Equal(2, smallest[9]);
        Assert.Equal(0, without[9]);

        var modes = new List<TokenCodingMode>();
        using (var reader = new VqcReader(new MemoryStream(smallest), TokenPriors.Resolver(priors)))
        {
            while (reader.GetNextPlane() is { } plane)
            {
                modes.Add(plane.Mode);
            }
        }

        Assert.All(modes, m => Assert.Equal(TokenCodingMode.RansContext, m));
        Assert.Equal(tokens, VqcDocument.Read(new MemoryStream(smallest), TokenPriors.Resolver(priors)).Tokens);
        Assert.Equal(tokens, VqcDocument.Read(new MemoryStream(without), TokenPriors.Resolver(priors)).Tokens);

        // Without the priors the file cannot be decoded to tokens: a model mismatch, not a format error.
        Assert.Throws<ModelMismatchException>(() => VqcDocument.Read(new MemoryStream(smallest)));

        // Dropping levels re-codes the segments with the prior for the new level count.
        VqcDocument low = VqcDocument.Read(new MemoryStream(smallest), TokenPriors.Resolver(priors)).Truncate(2);
        byte[] lowBytes = TestData.Write(low, new VqcWriterOptions { Priors = priors, Policy = TokenCodingPolicy.RansContext });
        Assert.Equal(tokens.Take(2), VqcDocument.Read(new MemoryStream(lowBytes), TokenPriors.Resolver(priors)).Tokens);
    }

    [Fact]
    public void ContextCodingIsRefusedWhereItCannotApply()
    {
        TokenPriors plain = TestData.Priors(4, 128, 1.0, 9);
        VqcHeader speech = TestData.Speech(40 * 320, 40, 20, 4, 128, plain.Hash);
        Assert.Throws<ArgumentException>(() => new VqcWriter(new MemoryStream(), speech, new VqcWriterOptions { Priors = plain, Policy = TokenCodingPolicy.RansContext }));

        TokenPriors with = plain.WithContext(Prior);
        VqcHeader tooManyLevels = TestData.Speech(40 * 320, 40, 20, 5, 128, with.Hash);
        VqcHeader otherCodebook = TestData.Speech(40 * 320, 40, 20, 2, 64, with.Hash);
        VqcHeader image = TestData.Image(32, 32, 2, 128, 4, 4, with.Hash);
        foreach (VqcHeader h in new[] { tooManyLevels, otherCodebook, image })
        {
            Assert.Throws<ArgumentException>(() => new VqcWriter(new MemoryStream(), h, new VqcWriterOptions { Priors = with, Policy = TokenCodingPolicy.RansContext }));
        }

        // A grid prior codes images only, and only grids up to its width limit.
        TokenPriors grid = plain.WithContext(Grid);
        VqcHeader speechWithGrid = TestData.Speech(40 * 320, 40, 20, 4, 128, grid.Hash);
        VqcHeader tooWide = TestData.Image(16 * (ContextPrior.MaxGridWidth + 1), 16, 2, 128, 1, ContextPrior.MaxGridWidth + 1, grid.Hash);
        foreach (VqcHeader h in new[] { speechWithGrid, tooWide })
        {
            Assert.Throws<ArgumentException>(() => new VqcWriter(new MemoryStream(), h, new VqcWriterOptions { Priors = grid, Policy = TokenCodingPolicy.RansContext }));
        }
    }

    private static readonly ContextPrior Grid = TestData.Context(4, 128, 16, 4, 6, residual: true, layout: ContextLayout.Grid);

    [Fact]
    public void AGridPriorSeesTheNorthNeighbourAndRoundTripsItsOwnSamples()
    {
        byte[] bytes = Grid.Serialize();
        Assert.Equal(3, bytes[11]);
        Assert.Equal(ContextLayout.Grid, ContextPrior.Deserialize(bytes).Layout);

        int[][] planes = Grid.SampleGrid(4, 6, 9, new Random(4));
        double[] bits = Grid.IdealBits(planes, 9);
        Assert.True(bits.Sum() < 0.8 * 4 * 54 * 7, $"{bits.Sum():F0} bits for 216 tokens of 7 bits");

        // The same tokens read as a grid 9 wide and as one 18 wide (other neighbours) cost different bits.
        Assert.NotEqual(bits, Grid.IdealBits(planes, 18));

        // Changing the token above position (1, 4) changes the distributions from there on, not before.
        int[][] changed = [.. planes.Select(p => (int[])p.Clone())];
        changed[0][4] = (changed[0][4] + 1) % 128;
        Assert.Equal(Grid.IdealBits([.. planes.Select(p => p[..4])], 4).Sum(), Grid.IdealBits([.. changed.Select(p => p[..4])], 4).Sum());
        Assert.NotEqual(Grid.IdealBits(planes, 9)[1..].Sum(), Grid.IdealBits(changed, 9)[1..].Sum());

        byte[] coded = Grid.Encode(planes, 9);
        int[][] decoded = [.. planes.Select(p => new int[p.Length])];
        double[] decodedBits = new double[4];
        Assert.True(Grid.Decode(coded, decoded, decodedBits, 9));
        Assert.Equal(planes, decoded);
        Assert.Equal(bits, decodedBits);

        Assert.Throws<ArgumentException>(() => Grid.IdealBits(planes, 0));
        Assert.Throws<ArgumentException>(() => Grid.IdealBits(planes, 7));
    }

    [Fact]
    public void AnImageIsWrittenAsOneContextCodedSegmentChunkWhenThatIsSmaller()
    {
        TokenPriors priors = TestData.Priors(4, 128, 1.0, 9).WithContext(Grid);
        VqcHeader h = TestData.Image(10 * 16, 8 * 16, 3, 128, 8, 10, priors.Hash);
        int[][] tokens = Grid.SampleGrid(3, 8, 10, new Random(5));
        var doc = new VqcDocument(h, tokens, null, [1, 2, 3]);
        byte[] smallest = TestData.Write(doc, new VqcWriterOptions { Priors = priors });
        byte[] without = TestData.Write(doc, new VqcWriterOptions { Priors = priors, Policy = TokenCodingPolicy.SmallestWithoutContext });
        Assert.True(smallest.Length < without.Length, $"{smallest.Length} vs {without.Length} bytes");
        Assert.Equal(3, smallest[9]);
        Assert.Equal(0, without[9]);
        Assert.Single(TestData.Chunks(smallest), c => c.Type == ChunkTypes.Segment);
        VqcDocument back = VqcDocument.Read(new MemoryStream(smallest), TokenPriors.Resolver(priors));
        Assert.Equal(tokens, back.Tokens);
        Assert.Equal(doc.Detail, back.Detail);
        Assert.Throws<ModelMismatchException>(() => VqcDocument.Read(new MemoryStream(smallest)));

        // Tokens the prior finds unlikely: the per-plane chunks are smaller, and the writer keeps them.
        int[][] flat = [.. Enumerable.Range(0, 3).Select(l => Enumerable.Range(0, 80).Select(i => (i * 37 + l * 11) % 128).ToArray())];
        byte[] plain = TestData.Write(new VqcDocument(h, flat), new VqcWriterOptions { Priors = priors });
        Assert.Equal(3, plain[9]);
        if (TestData.Chunks(plain).Any(c => c.Type == ChunkTypes.Tokens))
        {
            Assert.Equal(3, TestData.Chunks(plain).Count(c => c.Type == ChunkTypes.Tokens));
        }

        Assert.Equal(flat, VqcDocument.Read(new MemoryStream(plain), TokenPriors.Resolver(priors)).Tokens);
    }

    [Fact]
    public void AnImageSegmentChunkMustBeContextCodedAndComeFirst()
    {
        TokenPriors priors = TestData.Priors(4, 128, 1.0, 9).WithContext(Grid);
        VqcHeader h = TestData.Image(4 * 16, 3 * 16, 2, 128, 3, 4, priors.Hash);
        byte[] file = TestData.Write(new VqcDocument(h, Grid.SampleGrid(2, 3, 4, new Random(6))), new VqcWriterOptions { Priors = priors, Policy = TokenCodingPolicy.RansContext });
        List<(uint Type, byte[] Payload)> chunks = TestData.Chunks(file);
        int at = chunks.FindIndex(c => c.Type == ChunkTypes.Segment);

        byte[] otherMode = (byte[])chunks[at].Payload.Clone();
        otherMode[4] = (byte)TokenCodingMode.RansStaticJoint;
        byte[] otherSegment = (byte[])chunks[at].Payload.Clone();
        otherSegment[0] = 1;
        foreach (byte[] payload in new[] { otherMode, otherSegment })
        {
            byte[] bad = TestData.Rebuild(file, [.. chunks.Select((c, i) => i == at ? (c.Type, payload) : c)]);
            Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(bad), TokenPriors.Resolver(priors)));
        }

        // A stream far too short for the tokens it claims is refused before anything is decoded.
        byte[] tiny = [0, 0, 0, 0, (byte)TokenCodingMode.RansContext, 0, 0, 128, 0];
        VqcHeader big = TestData.Image(1024 * 16, 1024 * 16, 2, 128, 1024, 1024, priors.Hash);
        byte[] claim = TestData.Write(new VqcDocument(TestData.Image(16, 16, 2, 128, 1, 1, priors.Hash), [[1], [2]]), new VqcWriterOptions { Priors = priors, Policy = TokenCodingPolicy.RansContext });
        List<(uint Type, byte[] Payload)> small = TestData.Chunks(claim);
        byte[] forged = TestData.Rebuild(claim, [.. small.Select(c => c.Type == ChunkTypes.Header ? (c.Type, big.Serialize()) : c.Type == ChunkTypes.Segment ? (c.Type, tiny) : c)]);
        var ex = Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(forged), TokenPriors.Resolver(priors)));
        Assert.Contains("too short", ex.Message);
    }

    [Fact]
    public void EveryDistributionIsAValidRansTable()
    {
        // Extreme logits (all weights at ±127 with the largest multiplier) still give frequencies >= 1 summing to 2^16.
        int k = 32, d = 8;
        sbyte[] Full(int n) => [.. Enumerable.Range(0, n).Select(i => (sbyte)(i % 2 == 0 ? 127 : -127))];
        QuantizedLinear Linear(int rows, int inputs) => new(Full(rows * inputs), [.. Enumerable.Repeat(1 << 24, rows)], [.. Enumerable.Repeat(1 << 24, rows)]);
        var prior = ContextPrior.Create(new ContextPriorParameters
        {
            CodebookSize = k,
            Width = d,
            ContextFrames = 1,
            Past = [(1 << 24, Full(k * d))],
            Current = [(1 << 24, Full(k * d))],
            Start = [.. Enumerable.Repeat(1 << 24, d)],
            LevelCount = [.. Enumerable.Repeat(-(1 << 24), d)],
            LevelEmbedding = [.. Enumerable.Repeat(1 << 24, d)],
            Context = Linear(d, d),
            Hidden = Linear(d, d),
            Heads = [Linear(k, d)],
        });
        int[][] planes = [[.. Enumerable.Range(0, 40).Select(i => i % k)]];
        byte[] coded = prior.Encode(planes);
        int[][] back = [new int[40]];
        Assert.True(prior.Decode(coded, back, new double[1]));
        Assert.Equal(planes, back);
        Assert.All(prior.IdealBits(planes), b => Assert.InRange(b, 0, 40 * 16));
    }
}
