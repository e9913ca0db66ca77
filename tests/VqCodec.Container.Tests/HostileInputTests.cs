using System.Buffers.Binary;
using VqCodec.Container;

namespace VqCodec.Container.Tests;

public class HostileInputTests
{
    private static byte[] Build(params (string Type, byte[] Payload)[] chunks)
    {
        var ms = new MemoryStream();
        ChunkIO.WritePreamble(ms);
        foreach ((string type, byte[] payload) in chunks)
        {
            ChunkIO.WriteChunk(ms, ChunkTypes.Code(type), payload);
        }

        return ms.ToArray();
    }

    private static byte[] HeaderPayload(int gridH, int gridW, int levels = 1, int k = 1024, int width = 65536, int height = 65536)
    {
        // Serialize a valid header, then patch fields to hostile values (CRC is computed over the patched bytes).
        byte[] p = TestData.Image(64, 64, levels, k, 4, 4).Serialize();
        BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(4), width);
        BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(8), height);
        int levelsAt = p.Length - (12 * levels);
        for (int l = 0; l < levels; l++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(levelsAt + (12 * l) + 4), gridH);
            BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(levelsAt + (12 * l) + 8), gridW);
        }

        return p;
    }

    private static void Rejected(byte[] file)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(file)));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 16 << 20, $"rejecting took {allocated} bytes of allocation");
    }

    [Fact]
    public void HeaderClaimingTwoToThe31TokensIsRejectedBeforeAllocation()
    {
        Rejected(Build(("VQHD", HeaderPayload(65536, 32768))));
    }

    [Fact]
    public void HeaderWithNegativeOrZeroGridIsRejected()
    {
        Rejected(Build(("VQHD", HeaderPayload(-1, 4))));
        Rejected(Build(("VQHD", HeaderPayload(0, 4))));
    }

    [Fact]
    public void ChunkClaimingHugeLengthIsRejected()
    {
        byte[] file = Build(("VQHD", TestData.Image(64, 64, 1, 1024, 4, 4).Serialize()));
        var ms = new MemoryStream();
        ms.Write(file);
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(head, ChunkTypes.Tokens);
        BinaryPrimitives.WriteInt32LittleEndian(head[4..], int.MaxValue);
        ms.Write(head);
        Rejected(ms.ToArray());
        BinaryPrimitives.WriteInt32LittleEndian(head[4..], VqcLimits.MaxChunkPayload);
        ms.SetLength(file.Length);
        ms.Write(head);
        Rejected(ms.ToArray());
    }

    [Fact]
    public void TokenChunkClaimingMoreTokensThanTheHeaderIsRejected()
    {
        byte[] header = TestData.Image(64, 64, 1, 1024, 4, 4).Serialize();
        var tokn = new byte[12 + 20];
        BinaryPrimitives.WriteInt32LittleEndian(tokn.AsSpan(8), 1 << 30);
        Rejected(Build(("VQHD", header), ("TOKN", tokn)));
    }

    [Fact]
    public void UnknownCriticalChunkIsRejectedAndUnknownAncillaryIsSkipped()
    {
        VqcHeader h = TestData.Image(16, 16, 1, 4, 1, 1);
        byte[] header = h.Serialize();
        byte[] tokn = new byte[12 + 1];
        tokn[1] = (byte)TokenCodingMode.Packed;
        BinaryPrimitives.WriteInt32LittleEndian(tokn.AsSpan(8), 1);
        byte[] end = new byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(end, 1);
        Rejected(Build(("VQHD", header), ("ZZZZ", [1, 2, 3]), ("TOKN", tokn), ("VEND", end)));
        VqcDocument doc = VqcDocument.Read(new MemoryStream(Build(("VQHD", header), ("zzzz", [1, 2, 3]), ("TOKN", tokn), ("VEND", end))));
        Assert.Equal([0], doc.Tokens[0]);
    }

    [Fact]
    public void EmptyFileAndShortFilesAreRejected()
    {
        Rejected([]);
        Rejected([0x89]);
        Rejected(ChunkIO.Magic.ToArray());
    }

    [Fact]
    public void RandomGarbageIsRejected()
    {
        var rng = new TestData.Rng(12345);
        for (int i = 0; i < 2000; i++)
        {
            var data = new byte[(int)(rng.Next() % 600)];
            for (int j = 0; j < data.Length; j++)
            {
                data[j] = (byte)rng.Next();
            }

            // Half of the samples get a valid preamble so the chunk parser is exercised too.
            if (i % 2 == 0 && data.Length >= 16)
            {
                var ms = new MemoryStream();
                ChunkIO.WritePreamble(ms);
                ms.ToArray().CopyTo(data, 0);
            }

            Rejected(data);
        }
    }

    [Fact]
    public void RandomGarbageInsideAValidTokenChunkIsRejected()
    {
        VqcHeader h = TestData.Image(64, 64, 1, 1024, 4, 4);
        byte[] header = h.Serialize();
        var rng = new TestData.Rng(777);
        foreach (TokenCodingMode mode in Enum.GetValues<TokenCodingMode>().Append((TokenCodingMode)9))
        {
            for (int i = 0; i < 200; i++)
            {
                var tokn = new byte[12 + (int)(rng.Next() % 40)];
                tokn[1] = (byte)mode;
                BinaryPrimitives.WriteInt32LittleEndian(tokn.AsSpan(8), 16);
                for (int j = 12; j < tokn.Length; j++)
                {
                    tokn[j] = (byte)rng.Next();
                }

                byte[] end = new byte[12];
                BinaryPrimitives.WriteInt32LittleEndian(end, 1);
                byte[] file = Build(("VQHD", header), ("TOKN", tokn), ("VEND", end));
                var ex = Record.Exception(() => VqcDocument.Read(new MemoryStream(file)));
                // Packed data of exactly the right length is a valid plane; everything else must be a content error.
                Assert.True(ex is null or VqcFormatException, $"{mode}: {ex?.GetType().Name}");
            }
        }
    }

    private static byte[] Meta(string json, bool validUtf8 = true)
    {
        byte[] text = validUtf8 ? System.Text.Encoding.UTF8.GetBytes(json) : [.. System.Text.Encoding.UTF8.GetBytes(json[..^2]), 0xC3, (byte)'"', (byte)'}'];
        var payload = new byte[4 + K4os.Compression.LZ4.LZ4Codec.MaximumOutputSize(text.Length)];
        BinaryPrimitives.WriteInt32LittleEndian(payload, text.Length);
        int n = K4os.Compression.LZ4.LZ4Codec.Encode(text, payload.AsSpan(4));
        return payload[..(4 + n)];
    }

    private static byte[] WithChunkAfterHeader(byte[] file, string type, byte[] payload)
    {
        int headerEnd = ChunkIO.PreambleSize + 12 + BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(ChunkIO.PreambleSize + 4));
        var ms = new MemoryStream();
        ms.Write(file.AsSpan(0, headerEnd));
        ChunkIO.WriteChunk(ms, ChunkTypes.Code(type), payload);
        ms.Write(file.AsSpan(headerEnd));
        return ms.ToArray();
    }

    [Fact]
    public void MetadataMustBeOneChunkOfValidUtf8StringsWithoutNulls()
    {
        VqcHeader h = TestData.Image(64, 64, 1, 1024, 4, 4);
        byte[] plain = TestData.Write(new VqcDocument(h, TestData.Grids(h, 1.1, 5)));
        Assert.Equal("v", VqcDocument.Read(new MemoryStream(WithChunkAfterHeader(plain, "meta", Meta("{\"k\":\"v\"}")))).Metadata["k"]);
        byte[] twice = WithChunkAfterHeader(WithChunkAfterHeader(plain, "meta", Meta("{\"k\":\"v\"}")), "meta", Meta("{\"k\":\"w\"}"));
        Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(twice)));
        Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(WithChunkAfterHeader(plain, "meta", Meta("{\"k\":null}")))));
        Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(WithChunkAfterHeader(plain, "meta", Meta("{\"k\":\"a\\u0000b\"}")))));
        Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(WithChunkAfterHeader(plain, "meta", Meta("{\"k\":\"ab\"}", validUtf8: false)))));
        Assert.Throws<ArgumentException>(() => new VqcDocument(h, TestData.Grids(h, 1.1, 5), new Dictionary<string, string> { ["k"] = "a\0b" }).Write(new MemoryStream()));
    }

    [Fact]
    public void ASeekTableEntryThatDoesNotPointAtItsSegmentIsRejected()
    {
        VqcHeader h = TestData.Speech(90 * 320L, 90, 30, 2, 1024);
        byte[] file = TestData.Write(new VqcDocument(h, TestData.Grids(h, 1.2, 8)), new VqcWriterOptions { Policy = TokenCodingPolicy.Packed });
        int p = ChunkIO.PreambleSize;
        while (BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(p)) != ChunkTypes.SeekIndex)
        {
            p += 12 + BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(p + 4));
        }

        // Point entry 1 into the header (still increasing, still before the table), then fix the chunk CRC.
        int len = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(p + 4));
        byte[] bad = (byte[])file.Clone();
        long first = BinaryPrimitives.ReadInt64LittleEndian(bad.AsSpan(p + 8 + 4 + 4));
        BinaryPrimitives.WriteInt64LittleEndian(bad.AsSpan(p + 8 + 4 + 12 + 4), first + 4);
        BinaryPrimitives.WriteUInt32LittleEndian(bad.AsSpan(p + 8 + len), System.IO.Hashing.Crc32.HashToUInt32(bad.AsSpan(p, 8 + len)));
        VqcDocument.Read(new MemoryStream(file));
        Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(bad)));
    }

    [Fact]
    public void ATruncatedChunkClaiming64MiBCostsWhatTheFileHolds()
    {
        VqcHeader h = TestData.Image(64, 64, 1, 1024, 4, 4);
        byte[] plain = TestData.Write(new VqcDocument(h, TestData.Grids(h, 1.1, 5)));
        int endAt = plain.Length - 24;
        var ms = new MemoryStream();
        ms.Write(plain.AsSpan(0, endAt));
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(head, ChunkTypes.Detail);
        BinaryPrimitives.WriteInt32LittleEndian(head[4..], VqcLimits.MaxChunkPayload);
        ms.Write(head);
        ms.Write(new byte[200]);
        byte[] file = ms.ToArray();
        Rejected(file);

        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.ThrowsAny<VqcFormatException>(() =>
        {
            using var reader = new VqcReader(new MemoryStream(file));
            while (reader.GetNextPlaneAsync().AsTask().GetAwaiter().GetResult() is not null)
            {
            }
        });
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 4 << 20, $"the async path allocated {allocated} bytes");
    }

    [Fact]
    public void HeadersClaimingHugeSegmentsOrImageChunksAreRejected()
    {
        Assert.Throws<ArgumentException>(() => TestData.Speech(70000 * 320L, 70000, 70000, 1, 1024).Validate());
        Assert.Throws<ArgumentException>(() => TestData.Image(65536, 65536, 1, 1024, 4096, 4096).Validate());
        TestData.Speech(50 * 320L, 50, 50, 16, 1024).Validate();
    }

    [Fact]
    public void ReaderOptionsSetLimitsBelowTheFormatCaps()
    {
        VqcHeader h = TestData.Image(64, 64, 1, 1024, 4, 4);
        byte[] file = TestData.Write(new VqcDocument(h, TestData.Grids(h, 1.1, 5)));
        VqcDocument.Read(new MemoryStream(file), null, false, new VqcReaderOptions { MaxTokensPerLevel = 16 });
        Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(file), null, false, new VqcReaderOptions { MaxTokensPerLevel = 15 }));

        byte[] withMeta = WithChunkAfterHeader(file, "meta", Meta("{\"k\":\"0123456789\"}"));
        VqcDocument.Read(new MemoryStream(withMeta), null, false, new VqcReaderOptions { MaxMetadataBytes = 64 });
        Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(withMeta), null, false, new VqcReaderOptions { MaxMetadataBytes = 8 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VqcReaderOptions { MaxTokensPerLevel = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new VqcReaderOptions { MaxMetadataBytes = (1 << 20) + 1 });
    }
}
