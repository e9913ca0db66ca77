using System.Buffers.Binary;
using System.IO.Hashing;
using VqCodec.Container;
using VqCodec.Container.Coding;

namespace VqCodec.Container.Tests;

/// <summary>The TSEG layout of segmented media (spec §4): one chunk per segment holding every level.</summary>
public sealed class SegmentChunkTests
{
    private static (VqcHeader Header, byte[] File) SpeechFile(int levels = 3, int frames = 230, int segment = 50)
    {
        VqcHeader h = TestData.Speech(frames * 320L, frames, segment, levels, 1024);
        byte[] file = TestData.Write(new VqcDocument(h, TestData.Grids(h, 1.1, 5)), new VqcWriterOptions { Policy = TokenCodingPolicy.Packed });
        return (h, file);
    }

    private static List<(string Type, int Offset, int Length)> Chunks(byte[] file)
    {
        var list = new List<(string, int, int)>();
        int p = ChunkIO.PreambleSize;
        while (p < file.Length)
        {
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(p));
            int len = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(p + 4));
            list.Add((ChunkTypes.Name(type), p, len));
            p += 8 + len + 4;
        }

        return list;
    }

    [Fact]
    public void SpeechFilesHoldOneSegmentChunkPerSegmentAndNoPerLevelChunks()
    {
        (VqcHeader h, byte[] file) = SpeechFile();
        var chunks = Chunks(file);
        Assert.Equal(h.SegmentCount, chunks.Count(c => c.Type == "TSEG"));
        Assert.DoesNotContain(chunks, c => c.Type == "TOKN");

        // Packed 10-bit planes: segment payload = 4 + Σ (mode + varint length + ⌈T·10/8⌉).
        var first = chunks.First(c => c.Type == "TSEG");
        int plane = (50 * 10 + 7) / 8;
        Assert.Equal(4 + (3 * (1 + VarInt.Size(plane) + plane)), first.Length);
    }

    [Fact]
    public void PlaneSizesReportedByTheReaderAddUpToTheSegmentChunks()
    {
        (_, byte[] file) = SpeechFile();
        using var reader = new VqcReader(new MemoryStream(file));
        long sum = 0;
        while (reader.GetNextPlane() is { } plane)
        {
            sum += plane.StoredBytes;
        }

        long segments = Chunks(file).Where(c => c.Type == "TSEG").Sum(c => c.Length + 12L);
        Assert.Equal(segments, sum);
    }

    [Fact]
    public void WithPriorsEachSegmentIsOneJointStreamSmallerThanPerPlaneCoding()
    {
        TokenPriors priors = TestData.Priors(6, 1024, 1.05, 3);
        VqcHeader h = TestData.Speech(500 * 320L, 500, 50, 6, 1024, priors.Hash);
        var doc = new VqcDocument(h, Enumerable.Range(0, 6).Select(l => TestData.Zipf(500, 1024, 1.05, 3 + (ulong)l)).ToArray());
        byte[] joint = TestData.Write(doc, new VqcWriterOptions { Priors = priors });
        var segs = Chunks(joint).Where(c => c.Type == "TSEG").ToList();
        Assert.Equal(10, segs.Count);
        Assert.All(segs, c => Assert.Equal((byte)TokenCodingMode.RansStaticJoint, joint[c.Offset + 8 + 4]));

        // Per plane the same tokens cost a mode byte, a length and a 4-byte rANS state more per level.
        long perPlane = 0;
        foreach (var level in Enumerable.Range(0, 6))
        {
            for (int s = 0; s < 10; s++)
            {
                byte[] one = Coding.Rans.EncodeStatic(doc.Tokens[level].AsSpan(s * 50, 50), priors.Table(level));
                perPlane += 1 + VarInt.Size(one.Length) + one.Length;
            }
        }

        long jointPayload = segs.Sum(c => c.Length - 4L);
        Assert.True(jointPayload + (6 * 10 * 4) <= perPlane, $"joint {jointPayload} vs per plane {perPlane}");
        using var reader = new VqcReader(new MemoryStream(joint), _ => priors);
        var back = VqcDocument.Read(new MemoryStream(joint), _ => priors);
        Assert.Equal(doc.Tokens, back.Tokens);
    }

    [Fact]
    public void AShortLastSegmentOfManyLevelsRoundTripsInTheJointLayout()
    {
        // 16 levels and a 1-frame last segment: the joint payload is shorter than 2 bytes per level.
        TokenPriors priors = TestData.Priors(16, 1024, 1.3, 8);
        VqcHeader h = TestData.Speech(101 * 320L, 101, 50, 16, 1024, priors.Hash);
        var doc = new VqcDocument(h, Enumerable.Range(0, 16).Select(l => TestData.Zipf(101, 1024, 1.3, 8 + (ulong)l)).ToArray());
        byte[] file = TestData.Write(doc, new VqcWriterOptions { Priors = priors, Policy = TokenCodingPolicy.RansStatic });
        var last = Chunks(file).Last(c => c.Type == "TSEG");
        Assert.True(last.Length < 4 + (2 * 16), $"last segment payload {last.Length} bytes");
        Assert.Equal(doc.Tokens, VqcDocument.Read(new MemoryStream(file), _ => priors).Tokens);
    }

    [Theory]
    [InlineData("trailing")]
    [InlineData("non-minimal")]
    [InlineData("overlong")]
    [InlineData("wrong-segment")]
    public void MalformedSegmentPayloadsWithValidChecksumsAreRejected(string damage)
    {
        (_, byte[] file) = SpeechFile();
        var seg = Chunks(file).First(c => c.Type == "TSEG");
        byte[] payload = file.AsSpan(seg.Offset + 8, seg.Length).ToArray();
        byte[] changed = damage switch
        {
            "trailing" => [.. payload, 0],
            "non-minimal" => [.. payload[..5], (byte)(payload[5] | 0x80), (byte)(payload[6] | 0x80), 0, .. payload[7..]],
            "overlong" => [.. payload[..5], 0xFF, 0x7F, .. payload[7..]],
            _ => [9, .. payload[1..]],
        };
        var rebuilt = new MemoryStream();
        rebuilt.Write(file.AsSpan(0, seg.Offset));
        ChunkIO.WriteChunk(rebuilt, ChunkTypes.Segment, changed);
        rebuilt.Write(file.AsSpan(seg.Offset + 12 + seg.Length));
        using var reader = new VqcReader(new MemoryStream(rebuilt.ToArray()));
        Assert.Throws<VqcFormatException>(() =>
        {
            while (reader.GetNextPlane() is not null)
            {
            }
        });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(16383)]
    [InlineData(16384)]
    [InlineData(VarInt.MaxValue)]
    public void VarIntsRoundTripInTheirMinimalSize(int value)
    {
        Span<byte> b = stackalloc byte[4];
        int n = VarInt.Write(b, value);
        Assert.Equal(VarInt.Size(value), n);
        Assert.True(VarInt.TryRead(b[..n], out int back, out int read));
        Assert.Equal((value, n), (back, read));
        Assert.False(VarInt.TryRead(b[..(n - 1)], out _, out _));
    }
}
