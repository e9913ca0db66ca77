using VqCodec.Container;

namespace VqCodec.Container.Tests;

/// <summary>The image detail-layer chunk in the container (spec §4a): placement, framing and its header (the range coder is in Coding/CodingTests).</summary>
public sealed class DetailChunkTests
{
    private static VqcDocument ImageDoc(byte[]? detail)
    {
        VqcHeader h = TestData.Image(100, 60, 2, 1024, 4, 7);
        return new VqcDocument(h, TestData.Grids(h, 1.1, 9), null, detail);
    }

    [Fact]
    public void DetailPayloadRoundTripsAfterTheTokenPlanes()
    {
        byte[] detail = [1, 2, 3, 4, 5, 6, 7];
        byte[] file = TestData.Write(ImageDoc(detail));
        VqcDocument back = VqcDocument.Read(new MemoryStream(file));
        Assert.Equal(detail, back.Detail);
        Assert.Null(VqcDocument.Read(new MemoryStream(TestData.Write(ImageDoc(null)))).Detail);

        // Truncating levels drops the layer (it refines the image of all levels); keeping all keeps it.
        Assert.Null(back.Truncate(1).Detail);
        Assert.Equal(detail, back.Truncate(2).Detail);
        Assert.Null(back.WithoutDetail().Detail);
    }

    [Fact]
    public void WriterAcceptsOneDetailChunkOnlyAfterEveryPlaneOfAnImage()
    {
        VqcDocument doc = ImageDoc(null);
        using var writer = new VqcWriter(new MemoryStream(), doc.Header);
        Assert.Throws<InvalidOperationException>(() => writer.WriteDetail([1]));
        writer.WritePlane(0, 0, doc.Tokens[0]);
        writer.WritePlane(0, 1, doc.Tokens[1]);
        Assert.Throws<ArgumentException>(() => writer.WriteDetail([]));
        writer.WriteDetail([1]);
        Assert.Throws<InvalidOperationException>(() => writer.WriteDetail([2]));

        VqcHeader speech = TestData.Speech(50 * 320L, 50, 50, 1, 1024);
        Assert.Throws<ArgumentException>(() => new VqcDocument(speech, TestData.Grids(speech, 1.1, 3), null, [1]));
    }

    [Fact]
    public void ReaderRejectsMisplacedOrRepeatedDetailChunks()
    {
        byte[] file = TestData.Write(ImageDoc([1, 9, 9, 9, 9, 9]));
        var chunks = TestData.Chunks(file);
        int detailAt = chunks.FindIndex(c => c.Type == ChunkTypes.Detail);
        Assert.Equal(chunks.Count - 2, detailAt);

        byte[] Rebuild(IEnumerable<(uint Type, byte[] Payload)> list) => TestData.Rebuild(file, list);

        var before = chunks.ToList();
        var detail = before[detailAt];
        before.RemoveAt(detailAt);
        before.Insert(detailAt - 1, detail);
        var twice = chunks.ToList();
        twice.Insert(detailAt, detail);
        var empty = chunks.ToList();
        empty[detailAt] = (ChunkTypes.Detail, []);
        foreach (byte[] bad in new[] { Rebuild(before), Rebuild(twice), Rebuild(empty) })
        {
            Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(bad)));
        }

        Assert.Equal([1, 9, 9, 9, 9, 9], VqcDocument.Read(new MemoryStream(Rebuild(chunks))).Detail);
    }

    [Fact]
    public void DetailLayerHeaderReadsAndRefusesItsFields()
    {
        // The container reader treats a DETL payload as opaque bytes (the golden image-detail.vqc fixes only its
        // framing); the codec reads its first bytes through this structure.
        foreach (byte[] bad in new byte[][] { [4, 16, 0, 24, 0], [3, 16, 0, 0, 0], [0, 16, 0, 24, 0], [1, 0, 0, 24, 0], [2, 16, 0, 0, 0], [1, 16, 0] })
        {
            Assert.Throws<VqcFormatException>(() => DetailLayerHeader.Read(bad));
        }

        DetailLayerHeader h = DetailLayerHeader.Read([1, 32, 1, 48, 1]);
        Assert.Equal(288 / 16.0, h.LumaStep);
        Assert.Equal(304 / 16.0, h.ChromaStep);
        var written = new byte[DetailLayerHeader.Size];
        h.Write(written);
        Assert.Equal([1, 32, 1, 48, 1], written);
        Assert.Equal(2, DetailLayerHeader.Read([2, 32, 1, 48, 1]).Version);
    }
}
