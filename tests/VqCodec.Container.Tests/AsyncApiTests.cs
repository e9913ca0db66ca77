using VqCodec.Container;

namespace VqCodec.Container.Tests;

/// <summary>The async reader and writer share the synchronous implementation and never block on the stream.</summary>
public sealed class AsyncApiTests
{
    /// <summary>A stream that refuses synchronous I/O and hands out at most a few bytes per asynchronous read.</summary>
    private sealed class AsyncOnlyStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        private readonly Random _rng = new(4);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("synchronous read");

        public override int Read(Span<byte> buffer) => throw new InvalidOperationException("synchronous read");

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return _inner.Read(buffer.Span[..Math.Min(buffer.Length, _rng.Next(1, 8))]);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    public static TheoryData<string> Names => new(GoldenFiles.All.Select(g => g.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public async Task AsyncReadingOfGoldenFilesMatchesSyncReading(string name)
    {
        byte[] file = GoldenFiles.Load(name);
        Func<VqcHeader, TokenPriors?> priors = GoldenFiles.Resolve;
        var expected = new List<VqcTokenPlane>();
        byte[]? detail;
        using (var sync = new VqcReader(new MemoryStream(file), priors))
        {
            while (sync.GetNextPlane() is { } p)
            {
                expected.Add(p);
            }

            detail = sync.Detail;
        }

        var actual = new List<VqcTokenPlane>();
        await using var reader = new VqcReader(new AsyncOnlyStream(file), priors);
        VqcHeader header = await reader.ReadHeaderAsync();
        Assert.Equal(VqcProbe.ReadHeader(file).Header, header);
        while (await reader.GetNextPlaneAsync() is { } plane)
        {
            actual.Add(plane);
        }

        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal((expected[i].Level, expected[i].Segment, expected[i].Mode), (actual[i].Level, actual[i].Segment, actual[i].Mode));
            Assert.Equal(expected[i].Tokens, actual[i].Tokens);
        }

        Assert.Equal(detail, reader.Detail);
        Assert.Equal(name is "image-detail.vqc" or "image-restore.vqc", detail is not null);
        Assert.Equal(name == "image-restore.vqc", reader.Restoration is not null);
    }

    [Fact]
    public async Task AsyncReadingOfATruncatedFileThrowsTheContentException()
    {
        byte[] file = GoldenFiles.Load("speech-segments.vqc");
        await using var reader = new VqcReader(new AsyncOnlyStream(file[..^30]));
        await Assert.ThrowsAsync<VqcFormatException>(async () =>
        {
            while (await reader.GetNextPlaneAsync() is not null)
            {
            }
        });
    }

    [Fact]
    public async Task AsyncWritingProducesTheSameBytesAsSyncWriting()
    {
        foreach (var (_, make) in GoldenFiles.All)
        {
            (VqcDocument doc, VqcWriterOptions options) = make();
            byte[] sync = TestData.Write(doc, options);
            var ms = new MemoryStream();
            var withRestoration = new VqcWriterOptions { Policy = options.Policy, Priors = options.Priors, Restoration = doc.Restoration, SegmentVoices = doc.Voices is not null, SegmentEnvelopes = doc.Voices?.Any(v => v?.Envelope is not null) == true, EnvelopesAfterSynthesis = doc.Voices?.Any(v => v?.Envelope?.AfterSynthesis == true) == true, EnvelopeHalfFrames = doc.Voices?.Any(v => v?.Envelope?.SubFrames > 1) == true };
            await using (var writer = new VqcWriter(ms, doc.Header, withRestoration, leaveOpen: true))
            {
                if (doc.Metadata.Count > 0)
                {
                    await writer.WriteMetadataAsync(doc.Metadata);
                }

                for (int s = 0; s < doc.Header.SegmentCount; s++)
                {
                    if (doc.Voices?[s] is { } voice)
                    {
                        writer.WriteSegmentVoice(s, voice);
                    }

                    for (int l = 0; l < doc.Header.Levels.Length; l++)
                    {
                        int start = s * doc.Header.SegmentLength;
                        await writer.WritePlaneAsync(s, l, doc.Tokens[l].AsMemory(start, doc.Header.TokensInSegment(l, s)));
                    }
                }

                if (doc.Detail is not null)
                {
                    await writer.WriteDetailAsync(doc.Detail);
                }
            }

            Assert.Equal(sync, ms.ToArray());
        }
    }
}
