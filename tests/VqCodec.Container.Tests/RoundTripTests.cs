using VqCodec.Container;

namespace VqCodec.Container.Tests;

public class RoundTripTests
{
    public static TheoryData<string, TokenCodingPolicy> Shapes()
    {
        var data = new TheoryData<string, TokenCodingPolicy>();
        foreach (string shape in new[] { "image-1level", "image-16levels", "image-k1000", "image-k2", "image-k65536", "speech-partial", "speech-one-segment", "image-32levels" })
        {
            foreach (TokenCodingPolicy p in Enum.GetValues<TokenCodingPolicy>())
            {
                data.Add(shape, p);
            }
        }

        return data;
    }

    private static VqcHeader Shape(string name) => name switch
    {
        "image-1level" => TestData.Image(16, 16, 1, 1024, 1, 1),
        "image-16levels" => TestData.Image(768, 512, 16, 1024, 32, 48),
        "image-k1000" => TestData.Image(100, 60, 3, 1000, 4, 7),
        "image-k2" => TestData.Image(40, 40, 2, 2, 3, 3),
        "image-k65536" => TestData.Image(320, 320, 2, 65536, 20, 20),
        "image-32levels" => TestData.Image(64, 32, 32, 512, 2, 4),
        "speech-partial" => TestData.Speech(16000 * 7 / 2, 175, 50, 8, 1024),
        "speech-one-segment" => TestData.Speech(1600, 5, 5, 4, 1024),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryShapeAndPolicyRoundTrips(string shape, TokenCodingPolicy policy)
    {
        VqcHeader h = Shape(shape);
        int k = h.Levels[0].CodebookSize;
        bool entropyOk = k <= VqcLimits.MaxEntropyCodedCodebook;
        TokenPriors? priors = entropyOk ? TestData.Priors(h.Levels.Length, k, 1.1, 5) : null;
        bool speech = h.Kind == MediaKind.Speech;
        if (priors is not null && speech)
        {
            priors = priors.WithContext(TestData.Context(h.Levels.Length, k, 8, 2, 6));
        }

        if (priors is not null)
        {
            h = h with { PriorsHash = priors.Hash };
        }

        var doc = new VqcDocument(h, TestData.Grids(h, 1.1, 77), new Dictionary<string, string> { ["k"] = "v" });
        var options = new VqcWriterOptions { Policy = policy, Priors = priors };
        if ((!entropyOk && policy is TokenCodingPolicy.RansStatic or TokenCodingPolicy.RansAdaptive) || (!speech && policy == TokenCodingPolicy.RansContext))
        {
            Assert.ThrowsAny<Exception>(() => TestData.Write(doc, options));
            return;
        }

        byte[] bytes = TestData.Write(doc, options);
        VqcDocument back = VqcDocument.Read(new MemoryStream(bytes), _ => priors);
        Assert.Equal(h, back.Header);
        Assert.Equal(doc.Tokens, back.Tokens);
        Assert.Equal("v", back.Metadata["k"]);
    }

    [Fact]
    public void SmallestPolicyIsNeverLargerThanPacked()
    {
        VqcHeader h = TestData.Image(768, 512, 8, 1024, 32, 48);
        TokenPriors priors = TestData.Priors(8, 1024, 1.05, 9);
        h = h with { PriorsHash = priors.Hash };
        var doc = new VqcDocument(h, TestData.Grids(h, 1.05, 9));
        int packed = TestData.Write(doc, new VqcWriterOptions { Policy = TokenCodingPolicy.Packed, Priors = priors }).Length;
        int smallest = TestData.Write(doc, new VqcWriterOptions { Priors = priors }).Length;
        Assert.True(smallest < packed, $"smallest {smallest} vs packed {packed}");
    }

    [Fact]
    public void TruncatedDocumentIsAValidLowerRateFile()
    {
        VqcHeader h = TestData.Image(256, 256, 8, 1024, 16, 16);
        var doc = new VqcDocument(h, TestData.Grids(h, 1.0, 3));
        byte[] full = TestData.Write(doc);
        byte[] low = TestData.Write(VqcDocument.Read(new MemoryStream(full)).Truncate(3));
        VqcDocument back = VqcDocument.Read(new MemoryStream(low));
        Assert.Equal(3, back.Header.Levels.Length);
        Assert.Equal(doc.Tokens[..3], back.Tokens);
        Assert.True(low.Length < full.Length / 2);
    }

    [Fact]
    public void SeekToSegmentReadsFromThere()
    {
        VqcHeader h = TestData.Speech(16000 * 5, 250, 50, 4, 1024);
        var doc = new VqcDocument(h, TestData.Grids(h, 1.1, 8));
        byte[] bytes = TestData.Write(doc);
        using var reader = new VqcReader(new MemoryStream(bytes));
        reader.ReadHeader();
        reader.SeekToSegment(3);
        VqcTokenPlane first = reader.GetNextPlane()!;
        Assert.Equal(3, first.Segment);
        Assert.Equal(0, first.Level);
        Assert.Equal(doc.Tokens[0].AsSpan(150, 50).ToArray(), first.Tokens);
        int planes = 1;
        while (reader.GetNextPlane() is not null)
        {
            planes++;
        }

        Assert.Equal(2 * 4, planes);
    }

    [Fact]
    public void NonSeekableStreamsWorkAndLeaveOpenIsHonoured()
    {
        VqcHeader h = TestData.Speech(16000, 50, 20, 2, 1024);
        var doc = new VqcDocument(h, TestData.Grids(h, 1.1, 8));
        var sink = new NonSeekableStream(new MemoryStream());
        doc.Write(sink, leaveOpen: true);
        Assert.False(sink.Disposed);
        byte[] bytes = ((MemoryStream)sink.Inner).ToArray();
        var source = new NonSeekableStream(new MemoryStream(bytes));
        VqcDocument back = VqcDocument.Read(source, leaveOpen: true);
        Assert.False(source.Disposed);
        Assert.Equal(doc.Tokens, back.Tokens);
        VqcDocument.Read(source = new NonSeekableStream(new MemoryStream(bytes)));
        Assert.True(source.Disposed);
    }

    [Fact]
    public void ProbeReadsTheHeaderFromASpan()
    {
        byte[] bytes = GoldenFiles.Load("image-adaptive.vqc");
        (VqcHeader header, int length) = VqcProbe.ReadHeader(bytes);
        Assert.True(VqcProbe.HasMagic(bytes));
        Assert.Equal(120, header.Width);
        Assert.True(length < bytes.Length);
        Assert.Throws<VqcFormatException>(() => VqcProbe.ReadHeader(bytes.AsSpan(0, length - 1)));
        Assert.Throws<VqcFormatException>(() => VqcProbe.ReadHeader([]));
    }

    [Fact]
    public void WriterRejectsWrongCallOrderAndBadTokens()
    {
        VqcHeader h = TestData.Image(32, 32, 2, 16, 2, 2);
        using var writer = new VqcWriter(new MemoryStream(), h);
        Assert.Throws<InvalidOperationException>(() => writer.WritePlane(0, 1, new int[4]));
        Assert.Throws<ArgumentException>(() => writer.WritePlane(0, 0, new int[3]));
        Assert.Throws<ArgumentException>(() => writer.WritePlane(0, 0, [0, 1, 2, 16]));
        writer.WritePlane(0, 0, new int[4]);
        Assert.Throws<InvalidOperationException>(() => writer.WriteMetadata(new Dictionary<string, string>()));
        writer.WritePlane(0, 1, new int[4]);
        Assert.Throws<InvalidOperationException>(() => writer.WritePlane(0, 0, new int[4]));
    }

    [Fact]
    public void IncompleteWriterLeavesAFileReadersReject()
    {
        VqcHeader h = TestData.Image(32, 32, 2, 16, 2, 2);
        var ms = new MemoryStream();
        using (var writer = new VqcWriter(ms, h, leaveOpen: true))
        {
            writer.WritePlane(0, 0, new int[4]);
        }

        Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(ms.ToArray())));
    }

    [Fact]
    public void DecodingRansWithoutPriorsFailsClearly()
    {
        byte[] bytes = GoldenFiles.Load("image-static.vqc");
        var ex = Assert.Throws<ModelMismatchException>(() => VqcDocument.Read(new MemoryStream(bytes)));
        Assert.Contains("priors", ex.Message);
    }

    private sealed class NonSeekableStream(Stream inner) : Stream
    {
        public Stream Inner { get; } = inner;

        public bool Disposed { get; private set; }

        public override bool CanRead => Inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => Inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => Inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => Inner.Read(buffer, offset, Math.Min(count, 7));

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Inner.Write(buffer, offset, count);

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
