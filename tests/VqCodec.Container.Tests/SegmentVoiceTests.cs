using VqCodec.Container;

namespace VqCodec.Container.Tests;

/// <summary>Voice parameters of speech segments (format 1.4, spec §4c): the block's coding, its checks and its place in TSEG.</summary>
public class SegmentVoiceTests
{
    public static TheoryData<int> Seeds() => [1, 2, 3, 4, 5, 6, 7, 8];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomTracksRoundTrip(int seed)
    {
        var rng = new Random(seed);
        var pitch = new byte[rng.Next(1, 400)];
        int code = 0;
        for (int i = 0; i < pitch.Length; i++)
        {
            // Voiced runs that drift by small steps, jumps of every size, unvoiced gaps and both ends of the range.
            code = rng.Next(10) switch
            {
                0 => 0,
                1 => rng.Next(1, 256),
                _ => code == 0 ? rng.Next(1, 256) : Math.Clamp(code + rng.Next(-9, 10), 1, 255),
            };
            pitch[i] = (byte)code;
        }

        var voice = new SegmentVoice(pitch, rng.Next(-SegmentVoice.MaxGain, SegmentVoice.MaxGain + 1));
        byte[] block = voice.Serialize();
        SegmentVoice back = SegmentVoice.Parse(block, pitch.Length, 0);
        Assert.Equal(pitch, back.Pitch.ToArray());
        Assert.Equal(voice.GainQuarterDb, back.GainQuarterDb);
    }

    [Fact]
    public void ASmoothVoicedTrackCostsUnderHalfOfEightBitsAFrame()
    {
        // One second (50 frames) of a gliding voice with a pause, the cost the encoder adds per segment: 26 bytes
        // (the gain byte, the coder's flush and about 3.6 bits per voiced frame), against 51 for bytes per frame.
        byte[] pitch = [.. Enumerable.Range(0, 50).Select(i => i is >= 20 and < 26 ? (byte)0 : (byte)(120 + (int)Math.Round(6 * Math.Sin(i / 5.0))))];
        int bytes = new SegmentVoice(pitch, 12).Serialize().Length;
        Assert.InRange(bytes, 6, 26);
    }

    [Fact]
    public void CodesMapToQuarterSemitonesFromFiftyHertz()
    {
        Assert.Equal(0, SegmentVoice.PitchCode(0));
        Assert.Equal(0, SegmentVoice.PitchCode(double.NaN));
        Assert.Equal(48, SegmentVoice.PitchCode(100));
        Assert.Equal(1, SegmentVoice.PitchCode(20));
        Assert.Equal(255, SegmentVoice.PitchCode(5000));
        Assert.Equal(100, SegmentVoice.PitchHz(48), 9);
        Assert.Equal(0, SegmentVoice.PitchHz(0));
        Assert.InRange(1200 * Math.Abs(Math.Log2(SegmentVoice.PitchHz(SegmentVoice.PitchCode(217.3)) / 217.3)), 0, 12.5);
        Assert.Equal(Math.Pow(10, 9 / 80.0), new SegmentVoice([1], 9).Gain, 12);
    }

    [Fact]
    public void BadBlocksAreFormatErrors()
    {
        byte[] good = new SegmentVoice([0, 60, 61, 61, 0, 200], -7).Serialize();
        Assert.Throws<VqcFormatException>(() => SegmentVoice.Parse(good.AsSpan(0, 5), 6, 0));
        byte[] gain = (byte[])good.Clone();
        gain[0] = 0x80;
        Assert.Throws<VqcFormatException>(() => SegmentVoice.Parse(gain, 6, 0));
        byte[] start = (byte[])good.Clone();
        start[1] = 1;
        Assert.Throws<VqcFormatException>(() => SegmentVoice.Parse(start, 6, 0));

        // More frames than the data holds reads past its end.
        Assert.Throws<VqcFormatException>(() => SegmentVoice.Parse(good, 5000, 0));

        // Any bytes: a parsed track or a format error, nothing else.
        var rng = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            byte[] junk = new byte[rng.Next(6, 40)];
            rng.NextBytes(junk);
            junk[1] = 0;
            try
            {
                Assert.Equal(50, SegmentVoice.Parse(junk, 50, 0).Pitch.Length);
            }
            catch (VqcFormatException)
            {
            }
        }
    }

    [Fact]
    public void MisuseIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentVoice([], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentVoice([1], 128));
        VqcHeader speech = TestData.Speech(20 * 320, 20, 10, 2, 64);
        var doc = new VqcDocument(speech, TestData.Grids(speech, 1.0, 3));
        Assert.Throws<ArgumentException>(() => doc.WithVoices([new SegmentVoice(new byte[9], 0), null]));
        Assert.Throws<ArgumentException>(() => doc.WithVoices([null]));
        VqcHeader image = TestData.Image(32, 32, 2, 64, 2, 2);
        Assert.Throws<ArgumentException>(() => new VqcDocument(image, TestData.Grids(image, 1.0, 3)).WithVoices([null]));

        using var ms = new MemoryStream();
        using (var writer = new VqcWriter(ms, speech, leaveOpen: true))
        {
            Assert.Throws<InvalidOperationException>(() => writer.WriteSegmentVoice(0, new SegmentVoice(new byte[10], 0)));
        }

        using var ms2 = new MemoryStream();
        using var voiced = new VqcWriter(ms2, speech, new VqcWriterOptions { SegmentVoices = true }, leaveOpen: true);
        Assert.Throws<ArgumentException>(() => voiced.WriteSegmentVoice(0, new SegmentVoice(new byte[9], 0)));
        Assert.Throws<InvalidOperationException>(() => voiced.WriteSegmentVoice(1, new SegmentVoice(new byte[10], 0)));
        voiced.WriteSegmentVoice(0, new SegmentVoice(new byte[10], 0));
        Assert.Throws<InvalidOperationException>(() => voiced.WriteSegmentVoice(0, new SegmentVoice(new byte[10], 0)));
    }

    [Fact]
    public void AVoiceFlagOnAnImagesSegmentChunkOrABadBlockLengthIsRefused()
    {
        byte[] file = GoldenFiles.Load("speech-voice.vqc");
        var chunks = TestData.Chunks(file);
        int index = chunks.FindIndex(c => c.Type == ChunkTypes.Segment);
        byte[] payload = (byte[])chunks[index].Payload.Clone();
        payload[5] = 0xFF; // the block length's LEB128 byte: far beyond the payload
        chunks[index] = (chunks[index].Type, payload);
        Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(TestData.Rebuild(file, chunks)), GoldenFiles.Resolve));

        byte[] image = GoldenFiles.Load("image-context.vqc");
        var imageChunks = TestData.Chunks(image);
        int at = imageChunks.FindIndex(c => c.Type == ChunkTypes.Segment);
        byte[] p = (byte[])imageChunks[at].Payload.Clone();
        p[4] |= 0x80;
        imageChunks[at] = (imageChunks[at].Type, p);
        Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(TestData.Rebuild(image, imageChunks)), GoldenFiles.Resolve));
    }
}
