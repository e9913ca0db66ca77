using VqCodec.Container;

namespace VqCodec.Container.Tests;

public class GoldenTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var g in GoldenFiles.All)
        {
            data.Add(g.Name);
        }

        return data;
    }

    private static (VqcDocument Doc, VqcWriterOptions Options) Make(string name) => GoldenFiles.All.Single(g => g.Name == name).Make();

    private static TokenPriors? Resolve(VqcHeader h) => GoldenFiles.Resolve(h);

    [Theory]
    [MemberData(nameof(Names))]
    public void GoldenFileMatchesTheEncoderByteForByte(string name)
    {
        (VqcDocument doc, VqcWriterOptions options) = Make(name);
        byte[] produced = TestData.Write(doc, options);
        string path = Path.Combine(GoldenFiles.Folder, name);
        if (GoldenFiles.Regenerate)
        {
            Directory.CreateDirectory(GoldenFiles.Folder);
            File.WriteAllBytes(path, produced);
            File.WriteAllBytes(Path.Combine(GoldenFiles.Folder, "image-static.vqpr"), GoldenFiles.StaticPriors.Serialize());
            File.WriteAllBytes(Path.Combine(GoldenFiles.Folder, "speech-context.vqpr"), GoldenFiles.ContextPriors.Serialize());
            File.WriteAllBytes(Path.Combine(GoldenFiles.Folder, "image-context.vqpr"), GoldenFiles.GridPriors.Serialize());
        }

        Assert.True(File.Exists(path), $"golden file {path} is missing (set VQC_REGENERATE_GOLDEN=1 once to create it)");
        Assert.Equal(File.ReadAllBytes(path), produced);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void GoldenFileDecodesToItsTokens(string name)
    {
        (VqcDocument expected, _) = Make(name);
        VqcDocument doc = VqcDocument.Read(new MemoryStream(GoldenFiles.Load(name)), Resolve);
        Assert.Equal(expected.Header, doc.Header);
        Assert.Equal(expected.Tokens, doc.Tokens);
        Assert.Equal(expected.Metadata, doc.Metadata);
        static string Describe(IReadOnlyList<SegmentVoice?>? voices) =>
            voices is null ? "none" : string.Join(" | ", voices.Select(v => v is null ? "-" : $"{v.GainQuarterDb}: {string.Join(',', v.Pitch.ToArray())}{Envelope(v.Envelope)}"));
        static string Envelope(SegmentEnvelope? e) =>
            e is null ? "" : $" envelope {e.StepQuarterDb}: {string.Join(';', Enumerable.Range(0, e.Frames).Select(f => string.Join(',', e.Frame(f).ToArray())))}";
        Assert.Equal(Describe(expected.Voices), Describe(doc.Voices));
    }

    [Fact]
    public void TheVoiceGoldenFileIsFormat14WithVoiceBlocksInItsFirstTwoSegments()
    {
        byte[] file = GoldenFiles.Load("speech-voice.vqc");
        Assert.Equal(4, file[9]);
        List<(uint Type, byte[] Payload)> segments = TestData.Chunks(file).Where(c => c.Type == ChunkTypes.Segment).ToList();
        Assert.Equal([true, true, false], segments.Select(c => (c.Payload[4] & 0x80) != 0));
        VqcDocument doc = VqcDocument.Read(new MemoryStream(file), GoldenFiles.Resolve);
        Assert.Equal(9, doc.Voices![0]!.GainQuarterDb);
        Assert.Equal([100, 102, 104, 112, 96, 96, 1, 255, 247, 0], doc.Voices[1]!.Pitch.ToArray());
        Assert.Null(doc.Voices[2]);

        // The planes' stored sizes add up to the segment chunks, voice blocks included.
        Assert.Equal(segments.Sum(c => c.Payload.Length + 12L), StoredBytes(file));

        // Dropping levels keeps the voice parameters; writing without them gives the format-1.2 file of the same tokens.
        VqcDocument two = VqcDocument.Read(new MemoryStream(TestData.Write(doc.Truncate(2), new VqcWriterOptions { Priors = GoldenFiles.ContextPriors })), GoldenFiles.Resolve);
        Assert.Equal(-5, two.Voices![1]!.GainQuarterDb);
        byte[] plain = TestData.Write(doc.WithVoices(null), new VqcWriterOptions { Priors = GoldenFiles.ContextPriors });
        Assert.Equal(2, plain[9]);
        Assert.Null(VqcDocument.Read(new MemoryStream(plain), GoldenFiles.Resolve).Voices);
    }

    [Fact]
    public void TheEnvelopeGoldenFileIsFormat15WithAnEnvelopeBlockInItsFirstSegment()
    {
        (VqcDocument doc, SegmentEnvelope envelope) = ReadEnvelopeGolden("speech-envelope.vqc", 5, afterSynthesis: false);
        Assert.Equal(SegmentEnvelope.MaxValue * 3.0, envelope.Decibels(5, 19));

        // Dropping levels keeps the corrections; without them the same voice parameters make a format-1.4 file.
        VqcDocument two = VqcDocument.Read(new MemoryStream(TestData.Write(doc.Truncate(2), new VqcWriterOptions { Priors = GoldenFiles.ContextPriors })), GoldenFiles.Resolve);
        Assert.Equal(envelope.Frame(5).ToArray(), two.Voices![0]!.Envelope!.Frame(5).ToArray());
        SegmentVoice?[] bare = [.. doc.Voices!.Select(v => v is null ? null : new SegmentVoice(v.Pitch, v.GainQuarterDb))];
        byte[] plain = TestData.Write(doc.WithVoices(bare), new VqcWriterOptions { Priors = GoldenFiles.ContextPriors });
        Assert.Equal(4, plain[9]);
    }

    [Fact]
    public void TheAfterSynthesisEnvelopeGoldenFileIsFormat16()
    {
        (VqcDocument doc, SegmentEnvelope envelope) = ReadEnvelopeGolden("speech-envelope-after.vqc", 6, afterSynthesis: true);
        Assert.Equal(-SegmentEnvelope.MaxValue * 3.0, envelope.Decibels(7, 2));

        // Rewritten (here with two levels) it stays format 1.6 with the same corrections; the 1.5 golden file stays 1.5.
        byte[] two = TestData.Write(doc.Truncate(2), new VqcWriterOptions { Priors = GoldenFiles.ContextPriors });
        Assert.Equal(6, two[9]);
        SegmentEnvelope back = VqcDocument.Read(new MemoryStream(two), GoldenFiles.Resolve).Voices![0]!.Envelope!;
        Assert.True(back.AfterSynthesis);
        Assert.Equal(envelope.Frame(7).ToArray(), back.Frame(7).ToArray());
        VqcDocument older = VqcDocument.Read(new MemoryStream(GoldenFiles.Load("speech-envelope.vqc")), GoldenFiles.Resolve);
        Assert.False(older.Voices![0]!.Envelope!.AfterSynthesis);
        Assert.Equal(5, TestData.Write(older, new VqcWriterOptions { Priors = GoldenFiles.ContextPriors })[9]);
    }

    [Fact]
    public void TheHalfFrameEnvelopeGoldenFileIsFormat17()
    {
        (VqcDocument doc, SegmentEnvelope envelope) = ReadEnvelopeGolden("speech-envelope-half.vqc", 7, afterSynthesis: true);
        Assert.Equal((2, 20), (envelope.SubFrames, envelope.CorrectionFrames));
        Assert.Equal(SegmentEnvelope.MaxValue * 3.0, envelope.Decibels(11, 17));
        Assert.Equal(-SegmentEnvelope.MaxValue * 3.0, envelope.Decibels(12, 1));
        Assert.All(envelope.Frame(19).ToArray(), v => Assert.Equal(0, v));

        // Rewritten with two levels it stays format 1.7 with the same rows; the 1.6 golden file stays 1.6.
        byte[] two = TestData.Write(doc.Truncate(2), new VqcWriterOptions { Priors = GoldenFiles.ContextPriors });
        Assert.Equal(7, two[9]);
        SegmentEnvelope back = VqcDocument.Read(new MemoryStream(two), GoldenFiles.Resolve).Voices![0]!.Envelope!;
        Assert.Equal(2, back.SubFrames);
        Assert.Equal(envelope.Frame(12).ToArray(), back.Frame(12).ToArray());
        VqcDocument older = VqcDocument.Read(new MemoryStream(GoldenFiles.Load("speech-envelope-after.vqc")), GoldenFiles.Resolve);
        Assert.Equal(1, older.Voices![0]!.Envelope!.SubFrames);
        Assert.Equal(6, TestData.Write(older, new VqcWriterOptions { Priors = GoldenFiles.ContextPriors })[9]);
    }

    /// <summary>
    /// Reads an envelope golden file (three segments: voice with corrections, voice alone, neither) and checks what both
    /// share: the minor version, the TSEG flags, the first segment's corrections (step 3 dB, where they apply), none in
    /// the second, and the planes' stored sizes adding up to the segment chunks, envelope blocks included.
    /// </summary>
    private static (VqcDocument Doc, SegmentEnvelope Envelope) ReadEnvelopeGolden(string name, int minor, bool afterSynthesis)
    {
        byte[] file = GoldenFiles.Load(name);
        Assert.Equal(minor, file[9]);
        List<(uint Type, byte[] Payload)> segments = TestData.Chunks(file).Where(c => c.Type == ChunkTypes.Segment).ToList();
        Assert.Equal([0xC0, 0x80, 0x00], segments.Select(c => c.Payload[4] & 0xC0));
        VqcDocument doc = VqcDocument.Read(new MemoryStream(file), GoldenFiles.Resolve);
        SegmentEnvelope envelope = doc.Voices![0]!.Envelope!;
        Assert.Equal((12, afterSynthesis), (envelope.StepQuarterDb, envelope.AfterSynthesis));
        Assert.Null(doc.Voices[1]!.Envelope);
        Assert.Equal(segments.Sum(c => c.Payload.Length + 12L), StoredBytes(file));
        return (doc, envelope);
    }

    /// <summary>The stored sizes of every token plane of a golden file, as the reader reports them.</summary>
    private static long StoredBytes(byte[] file)
    {
        long total = 0;
        using var reader = new VqcReader(new MemoryStream(file), GoldenFiles.Resolve);
        while (reader.GetNextPlane() is { } plane)
        {
            total += plane.StoredBytes;
        }

        return total;
    }

    [Fact]
    public void ShippedPriorsFileMatches()
    {
        byte[] bytes = GoldenFiles.Load("image-static.vqpr");
        Assert.Equal(GoldenFiles.StaticPriors.Hash, TokenPriors.Deserialize(bytes).Hash);
        byte[] context = GoldenFiles.Load("speech-context.vqpr");
        Assert.Equal(GoldenFiles.ContextPriors.Serialize(), context);
        Assert.Equal(GoldenFiles.ContextPriors.Hash, TokenPriors.Deserialize(context).Hash);
        byte[] grid = GoldenFiles.Load("image-context.vqpr");
        Assert.Equal(GoldenFiles.GridPriors.Serialize(), grid);
        Assert.Equal(ContextLayout.Grid, TokenPriors.Deserialize(grid).Context!.Layout);
    }

    [Fact]
    public void TheImageContextGoldenFileIsFormat13WithOneSegmentChunkAndDecodesWithTheStoredPriorsFileAlone()
    {
        byte[] file = GoldenFiles.Load("image-context.vqc");
        Assert.Equal(3, file[9]);
        Assert.Single(TestData.Chunks(file), c => c.Type == ChunkTypes.Segment);
        Assert.DoesNotContain(TestData.Chunks(file), c => c.Type == ChunkTypes.Tokens);
        TokenPriors stored = TokenPriors.Deserialize(GoldenFiles.Load("image-context.vqpr"));
        var planes = new List<VqcTokenPlane>();
        using (var reader = new VqcReader(new MemoryStream(file), TokenPriors.Resolver(stored)))
        {
            while (reader.GetNextPlane() is { } plane)
            {
                planes.Add(plane);
            }
        }

        Assert.Equal(3, planes.Count);
        Assert.All(planes, p => Assert.Equal(TokenCodingMode.RansContext, p.Mode));
        Assert.Equal(file.Length - 16 - TestData.Chunks(file).Where(c => c.Type != ChunkTypes.Segment).Sum(c => c.Payload.Length + 12), planes.Sum(p => p.StoredBytes));
        (VqcDocument expected, _) = Make("image-context.vqc");
        Assert.Equal(expected.Tokens, VqcDocument.Read(new MemoryStream(file), TokenPriors.Resolver(stored)).Tokens);
    }

    [Fact]
    public void TheContextGoldenFileIsFormat12AndDecodesWithTheStoredPriorsFileAlone()
    {
        byte[] file = GoldenFiles.Load("speech-context.vqc");
        Assert.Equal(2, file[9]);
        TokenPriors stored = TokenPriors.Deserialize(GoldenFiles.Load("speech-context.vqpr"));
        var planes = new List<VqcTokenPlane>();
        using (var reader = new VqcReader(new MemoryStream(file), TokenPriors.Resolver(stored)))
        {
            while (reader.GetNextPlane() is { } plane)
            {
                planes.Add(plane);
            }
        }

        Assert.All(planes, p => Assert.Equal(TokenCodingMode.RansContext, p.Mode));
        (VqcDocument expected, _) = Make("speech-context.vqc");
        Assert.Equal(expected.Tokens, VqcDocument.Read(new MemoryStream(file), TokenPriors.Resolver(stored)).Tokens);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void TruncationAtEveryByteIsRejected(string name)
    {
        byte[] file = GoldenFiles.Load(name);
        for (int cut = 0; cut < file.Length; cut++)
        {
            var ex = Record.Exception(() => VqcDocument.Read(new MemoryStream(file, 0, cut), Resolve));
            Assert.True(ex is VqcFormatException, $"truncation at {cut} of {file.Length}: {ex?.GetType().Name ?? "no exception"}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EverySingleBitFlipIsDetected(string name)
    {
        byte[] file = GoldenFiles.Load(name);
        for (int bit = 0; bit < file.Length * 8; bit++)
        {
            byte[] copy = (byte[])file.Clone();
            copy[bit >> 3] ^= (byte)(1 << (bit & 7));
            var ex = Record.Exception(() => VqcDocument.Read(new MemoryStream(copy), Resolve));
            Assert.True(ex is VqcFormatException, $"flip of bit {bit} (byte {bit >> 3}): {ex?.GetType().Name ?? "not detected"}");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ExtraTrailingByteIsRejected(string name)
    {
        byte[] file = [.. GoldenFiles.Load(name), 0];
        Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(file), Resolve));
    }
}
