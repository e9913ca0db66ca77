using System.Buffers.Binary;
using VqCodec.Container;

namespace VqCodec.Container.Tests;

/// <summary>The ancillary restoration chunk <c>rstr</c> of format 1.1 (spec §4b).</summary>
public sealed class RestorationChunkTests
{
    private static readonly RestorationId Restorer = new("vqc-image-v1-restore", Enumerable.Range(0, 32).Select(i => (byte)(255 - i)).ToArray());

    private static VqcDocument ImageDoc(byte[]? detail, RestorationId? restoration)
    {
        VqcHeader h = TestData.Image(100, 60, 2, 1024, 4, 7);
        return new VqcDocument(h, TestData.Grids(h, 1.1, 9), null, detail, restoration);
    }

    private static List<(uint Type, byte[] Payload)> Chunks(byte[] file) => TestData.Chunks(file);

    private static byte[] Rebuild(byte[] file, IEnumerable<(uint Type, byte[] Payload)> chunks) => TestData.Rebuild(file, chunks);

    [Fact]
    public void RestorationRoundTripsRightAfterTheHeaderAndMarksTheFileAsVersion11()
    {
        byte[] file = TestData.Write(ImageDoc([1, 2, 3, 4, 5, 6], Restorer));
        Assert.Equal(1, file[8]);
        Assert.Equal(ChunkIO.MinorRestoration, file[9]);
        var chunks = Chunks(file);
        Assert.Equal(ChunkTypes.Header, chunks[0].Type);
        Assert.Equal(ChunkTypes.Restoration, chunks[1].Type);

        VqcDocument back = VqcDocument.Read(new MemoryStream(file));
        Assert.NotNull(back.Restoration);
        Assert.True(back.Restoration!.Matches(Restorer.Id, Restorer.Hash));
        Assert.Equal(file, TestData.Write(back));

        // Files without it stay version 1.0, byte for byte as before.
        byte[] plain = TestData.Write(ImageDoc([1, 2, 3, 4, 5, 6], null));
        Assert.Equal(ChunkIO.Minor, plain[9]);
        Assert.Null(VqcDocument.Read(new MemoryStream(plain)).Restoration);
    }

    [Fact]
    public void RestorationFollowsTheDetailLayer()
    {
        Assert.Throws<ArgumentException>(() => ImageDoc(null, Restorer));
        VqcDocument doc = ImageDoc([1, 7, 7, 7, 7, 7], Restorer);
        Assert.Null(doc.Truncate(1).Restoration);
        Assert.NotNull(doc.Truncate(2).Restoration);
        Assert.Null(doc.WithoutDetail().Restoration);
        Assert.Null(doc.WithRestoration(null).Restoration);

        // A file whose detail chunk was removed by a tool that does not know rstr: the chunk has no effect.
        byte[] file = TestData.Write(doc);
        byte[] noDetail = Rebuild(file, Chunks(file).Where(c => c.Type != ChunkTypes.Detail));
        VqcDocument back = VqcDocument.Read(new MemoryStream(noDetail));
        Assert.Null(back.Detail);
        Assert.Null(back.Restoration);
    }

    [Fact]
    public void ReaderRejectsMisplacedRepeatedOrMalformedRestorationChunks()
    {
        byte[] file = TestData.Write(ImageDoc([1, 9, 9, 9, 9, 9], Restorer));
        var chunks = Chunks(file);
        var rstr = chunks[1];
        var late = chunks.ToList();
        late.RemoveAt(1);
        late.Insert(2, rstr);
        var twice = chunks.ToList();
        twice.Insert(1, rstr);
        var badVersion = chunks.ToList();
        badVersion[1] = (rstr.Type, [2, .. rstr.Payload[1..]]);
        var badLength = chunks.ToList();
        badLength[1] = (rstr.Type, rstr.Payload[..^1]);
        var control = chunks.ToList();
        byte[] withEscape = (byte[])rstr.Payload.Clone();
        withEscape[3] = 0x1B;
        control[1] = (rstr.Type, withEscape);
        foreach (var bad in new[] { late, twice, badVersion, badLength, control })
        {
            Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(Rebuild(file, bad))));
        }

        Assert.NotNull(VqcDocument.Read(new MemoryStream(Rebuild(file, chunks))).Restoration);
    }

    [Fact]
    public void OnlyImagesNameARestorer()
    {
        VqcHeader speech = TestData.Speech(50 * 320L, 50, 50, 1, 1024);
        Assert.Throws<ArgumentException>(() => new VqcWriter(new MemoryStream(), speech, new VqcWriterOptions { Restoration = Restorer }));
        Assert.Throws<ArgumentException>(() => new RestorationId("bad\nid", Restorer.Hash));
        Assert.Throws<ArgumentException>(() => new RestorationId("id", new byte[31]));
    }

    [Fact]
    public void EveryBitFlipAndTruncationOfARestoredFileIsRejected()
    {
        byte[] file = TestData.Write(ImageDoc([1, 2, 3, 4, 5, 6, 7, 8], Restorer));
        int rstrEnd = ChunkIO.PreambleSize + 12 + Chunks(file)[0].Payload.Length + 12 + Chunks(file)[1].Payload.Length;
        for (int bit = 0; bit < rstrEnd * 8; bit++)
        {
            byte[] bad = (byte[])file.Clone();
            bad[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.ThrowsAny<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(bad)));
        }

        for (int n = 0; n < file.Length; n++)
        {
            Assert.ThrowsAny<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(file[..n])));
        }
    }
}
