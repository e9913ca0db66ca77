using VqCodec.Container;

namespace VqCodec.Container.Tests;

/// <summary>Spectral envelope corrections of speech segments (format 1.5, spec §4d): the block's coding, its checks and its place in TSEG.</summary>
public class SegmentEnvelopeTests
{
    public static TheoryData<int> Seeds() => [1, 2, 3, 4, 5, 6, 7, 8];

    private static sbyte[] RandomValues(Random rng, int frames)
    {
        var values = new sbyte[frames * SegmentEnvelope.Bands];
        for (int f = 0; f < frames; f++)
        {
            // Inactive frames, small corrections that persist, and every magnitude up to the limit.
            int kind = rng.Next(4);
            for (int b = 0; b < SegmentEnvelope.Bands; b++)
            {
                values[(f * SegmentEnvelope.Bands) + b] = kind switch
                {
                    0 => 0,
                    1 => (sbyte)rng.Next(-SegmentEnvelope.MaxValue, SegmentEnvelope.MaxValue + 1),
                    _ => (sbyte)Math.Clamp(rng.Next(-2, 3) + (f > 0 ? values[((f - 1) * SegmentEnvelope.Bands) + b] / 2 : 0), -SegmentEnvelope.MaxValue, SegmentEnvelope.MaxValue),
                };
            }
        }

        return values;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomCorrectionsRoundTrip(int seed)
    {
        var rng = new Random(seed);
        int frames = rng.Next(1, 300);
        sbyte[] values = RandomValues(rng, frames);
        var envelope = new SegmentEnvelope(frames, rng.Next(SegmentEnvelope.MinStep, SegmentEnvelope.MaxStep + 1), values, afterSynthesis: seed % 2 == 1);
        byte[] block = envelope.Serialize();
        Assert.InRange(block.Length, 6, SegmentEnvelope.MaxBlockBytes(frames));
        SegmentEnvelope back = SegmentEnvelope.Parse(block, frames, 0);
        Assert.Equal(envelope.StepQuarterDb, back.StepQuarterDb);
        Assert.Equal(envelope.AfterSynthesis, back.AfterSynthesis);
        Assert.Equal(envelope.AfterSynthesis ? 0x80 : 0, block[0] & 0x80);
        for (int f = 0; f < frames; f++)
        {
            Assert.Equal(envelope.Frame(f).ToArray(), back.Frame(f).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void HalfFrameCorrectionsRoundTrip(int seed)
    {
        // Format 1.7: two rows per token frame, flagged by bit 6 of the step byte beside bit 7 (after the synthesis).
        var rng = new Random(seed);
        int frames = rng.Next(1, 300);
        sbyte[] values = RandomValues(rng, 2 * frames);
        var envelope = new SegmentEnvelope(frames, 12, values, afterSynthesis: true, subFrames: 2);
        Assert.Equal(2 * frames, envelope.CorrectionFrames);
        byte[] block = envelope.Serialize();
        Assert.Equal(0x80 | 0x40 | 12, block[0]);
        Assert.InRange(block.Length, 6, SegmentEnvelope.MaxBlockBytes(2 * frames));
        SegmentEnvelope back = SegmentEnvelope.Parse(block, frames, 0);
        Assert.Equal((frames, 2, true), (back.Frames, back.SubFrames, back.AfterSynthesis));
        for (int f = 0; f < 2 * frames; f++)
        {
            Assert.Equal(envelope.Frame(f).ToArray(), back.Frame(f).ToArray());
        }

        // The same values as one row per frame of twice the frames code to the same bits after the step byte.
        Assert.Equal(new SegmentEnvelope(2 * frames, 12, values, afterSynthesis: true).Serialize()[1..], block[1..]);
    }

    [Fact]
    public void HalfFrameMisuseIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentEnvelope(1, 12, new sbyte[2 * SegmentEnvelope.Bands], afterSynthesis: false, subFrames: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentEnvelope(1, 12, new sbyte[3 * SegmentEnvelope.Bands], afterSynthesis: true, subFrames: 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentEnvelope(2, 12, new sbyte[2 * SegmentEnvelope.Bands], afterSynthesis: true, subFrames: 2));

        // A block whose rows run out before twice the frames is a format error, as is one longer than twice the frames allow.
        byte[] oneRow = new SegmentEnvelope(12, 12, RandomValues(new Random(3), 12), afterSynthesis: true).Serialize();
        oneRow[0] |= SegmentEnvelope.SubFramesFlag;
        Assert.Throws<VqcFormatException>(() => SegmentEnvelope.Parse(oneRow, 12, 0));
        var tooLong = new byte[SegmentEnvelope.MaxBlockBytes(2) + 1];
        tooLong[0] = 0x80 | 0x40 | 12;
        Assert.Throws<VqcFormatException>(() => SegmentEnvelope.Parse(tooLong, 1, 0));

        // The writer takes half-frame rows only when asked to (the file is then format 1.7).
        VqcHeader speech = TestData.Speech(20 * 320, 20, 10, 2, 64);
        var half = new SegmentEnvelope(10, 12, new sbyte[20 * SegmentEnvelope.Bands], afterSynthesis: true, subFrames: 2);
        using var ms16 = new MemoryStream();
        using var writer16 = new VqcWriter(ms16, speech, new VqcWriterOptions { SegmentVoices = true, SegmentEnvelopes = true, EnvelopesAfterSynthesis = true }, leaveOpen: true);
        Assert.Throws<InvalidOperationException>(() => writer16.WriteSegmentVoice(0, new SegmentVoice(new byte[10], 0) { Envelope = half }));
    }

    [Fact]
    public void TheWorstCaseFitsTheBlockLimit()
    {
        // Every band at the largest magnitude with alternating signs, after contexts trained on zeros: the costliest data.
        const int frames = 200;
        var values = new sbyte[frames * SegmentEnvelope.Bands];
        for (int i = 100 * SegmentEnvelope.Bands; i < values.Length; i++)
        {
            values[i] = (sbyte)((i % 3 == 0 ? -1 : 1) * SegmentEnvelope.MaxValue);
        }

        Assert.InRange(new SegmentEnvelope(frames, 12, values).Serialize().Length, 6, SegmentEnvelope.MaxBlockBytes(frames));
    }

    [Fact]
    public void DecibelsAreStepsTimesQuarterDecibels()
    {
        var values = new sbyte[SegmentEnvelope.Bands];
        values[3] = -5;
        var envelope = new SegmentEnvelope(1, 12, values);
        Assert.Equal(-15.0, envelope.Decibels(0, 3));
        Assert.Equal(0.0, envelope.Decibels(0, 4));
    }

    [Fact]
    public void BadBlocksAreFormatErrors()
    {
        var rng = new Random(9);
        byte[] good = new SegmentEnvelope(12, 12, RandomValues(rng, 12)).Serialize();
        Assert.Throws<VqcFormatException>(() => SegmentEnvelope.Parse(good.AsSpan(0, 5), 12, 0));
        foreach (byte step in new byte[] { 0, SegmentEnvelope.MaxStep + 1, 255, 0x80, 0x80 | (SegmentEnvelope.MaxStep + 1), 0x40 | 12 })
        {
            byte[] bad = (byte[])good.Clone();
            bad[0] = step;
            Assert.Throws<VqcFormatException>(() => SegmentEnvelope.Parse(bad, 12, 0));
        }

        // Longer than any encoder writes, and more frames than the data holds.
        Assert.Throws<VqcFormatException>(() => SegmentEnvelope.Parse(new byte[SegmentEnvelope.MaxBlockBytes(1) + 1], 1, 0));
        Assert.Throws<VqcFormatException>(() => SegmentEnvelope.Parse(good, 5000, 0));

        // Any bytes: parsed corrections or a format error, nothing else.
        for (int i = 0; i < 2000; i++)
        {
            byte[] junk = new byte[rng.Next(6, 60)];
            rng.NextBytes(junk);
            junk[0] = (byte)rng.Next(1, 49);
            junk[1] = 0;
            try
            {
                Assert.Equal(20, SegmentEnvelope.Parse(junk, 20, 0).Frames);
            }
            catch (VqcFormatException)
            {
            }
        }
    }

    [Fact]
    public void MisuseIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentEnvelope(0, 12, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentEnvelope(1, 0, new sbyte[SegmentEnvelope.Bands]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentEnvelope(1, 49, new sbyte[SegmentEnvelope.Bands]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentEnvelope(2, 12, new sbyte[SegmentEnvelope.Bands]));
        var tooBig = new sbyte[SegmentEnvelope.Bands];
        tooBig[0] = SegmentEnvelope.MaxValue + 1;
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentEnvelope(1, 12, tooBig));
        Assert.Throws<ArgumentException>(() => new SegmentVoice(new byte[3], 0) { Envelope = new SegmentEnvelope(2, 12, new sbyte[2 * SegmentEnvelope.Bands]) });

        // The writer takes corrections only when asked to (the file is then format 1.5).
        VqcHeader speech = TestData.Speech(20 * 320, 20, 10, 2, 64);
        using var ms = new MemoryStream();
        using var writer = new VqcWriter(ms, speech, new VqcWriterOptions { SegmentVoices = true }, leaveOpen: true);
        Assert.Throws<InvalidOperationException>(() => writer.WriteSegmentVoice(0, new SegmentVoice(new byte[10], 0) { Envelope = new SegmentEnvelope(10, 12, new sbyte[10 * SegmentEnvelope.Bands]) }));

        // Corrections after the synthesis only when asked for those (the file is then format 1.6).
        using var ms15 = new MemoryStream();
        using var writer15 = new VqcWriter(ms15, speech, new VqcWriterOptions { SegmentVoices = true, SegmentEnvelopes = true }, leaveOpen: true);
        Assert.Throws<InvalidOperationException>(() => writer15.WriteSegmentVoice(0, new SegmentVoice(new byte[10], 0) { Envelope = new SegmentEnvelope(10, 12, new sbyte[10 * SegmentEnvelope.Bands], afterSynthesis: true) }));
    }

    [Fact]
    public void AnEnvelopeFlagWithoutAVoiceBlockOrABadBlockLengthIsRefused()
    {
        byte[] file = GoldenFiles.Load("speech-envelope.vqc");
        var chunks = TestData.Chunks(file);
        int index = chunks.FindIndex(c => c.Type == ChunkTypes.Segment);

        // Bit 6 alone on the second segment (which has a voice block: clearing bit 7 leaves the envelope flag alone).
        int second = chunks.FindIndex(index + 1, c => c.Type == ChunkTypes.Segment);
        byte[] alone = (byte[])chunks[second].Payload.Clone();
        alone[4] = (byte)((alone[4] & 0x3F) | 0x40);
        var edited = new List<(uint Type, byte[] Payload)>(chunks) { [second] = (chunks[second].Type, alone) };
        Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(TestData.Rebuild(file, edited)), GoldenFiles.Resolve));

        // The envelope block's length far beyond the payload.
        byte[] payload = (byte[])chunks[index].Payload.Clone();
        int voiceLength = payload[5];
        payload[6 + voiceLength] = 0x7F;
        edited = new List<(uint Type, byte[] Payload)>(chunks) { [index] = (chunks[index].Type, payload) };
        Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(TestData.Rebuild(file, edited)), GoldenFiles.Resolve));
    }
}
