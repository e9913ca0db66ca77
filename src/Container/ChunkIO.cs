using System.Buffers.Binary;
using System.IO.Hashing;

namespace VqCodec.Container;

/// <summary>
/// Low-level framing. File = 16-byte preamble, then chunks. Preamble: magic 89 56 51 43 0D 0A 1A 0A,
/// u8 major, u8 minor, u16 flags (0), u32 CRC-32 of bytes 0..11. Chunk: u32 type, u32 payload length,
/// payload, u32 CRC-32 (IEEE, System.IO.Hashing.Crc32) of type, length and payload. All little-endian.
/// </summary>
internal static class ChunkIO
{
    public const byte Major = 1;
    public const byte Minor = 0;

    /// <summary>Minor version of files that use a 1.1 feature (the <c>rstr</c> chunk); other files stay 1.0.</summary>
    public const byte MinorRestoration = 1;

    /// <summary>Minor version of files that may use token coding mode 5 (a learned context prior, format 1.2).</summary>
    public const byte MinorContext = 2;

    /// <summary>Minor version of image files that may carry their token levels in one context-coded <c>TSEG</c> chunk (format 1.3).</summary>
    public const byte MinorImageContext = 3;

    /// <summary>Minor version of speech files whose segments may carry voice parameters (format 1.4).</summary>
    public const byte MinorVoice = 4;

    /// <summary>Minor version of speech files whose voice parameters may carry spectral envelope corrections (format 1.5).</summary>
    public const byte MinorEnvelope = 5;

    /// <summary>Minor version of speech files whose envelope corrections may apply after the synthesis (format 1.6).</summary>
    public const byte MinorEnvelopeAfterSynthesis = 6;

    /// <summary>Minor version of speech files whose envelope corrections may come twice per token frame (format 1.7).</summary>
    public const byte MinorEnvelopeHalfFrames = 7;

    public const int PreambleSize = 16;

    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'V', (byte)'Q', (byte)'C', 0x0D, 0x0A, 0x1A, 0x0A];

    public static void WritePreamble(Stream stream, byte minor = Minor)
    {
        Span<byte> p = stackalloc byte[PreambleSize];
        Magic.CopyTo(p);
        p[8] = Major;
        p[9] = minor;
        p[10] = 0;
        p[11] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(p[12..], Crc32.HashToUInt32(p[..12]));
        stream.Write(p);
    }

    /// <summary>Checks a preamble; returns the minor version.</summary>
    public static int CheckPreamble(ReadOnlySpan<byte> p)
    {
        if (p.Length < PreambleSize)
        {
            throw new VqcFormatException("file too short for a .vqc preamble", p.Length);
        }

        if (!p[..8].SequenceEqual(Magic))
        {
            throw new VqcFormatException("not a .vqc file (bad magic)", 0);
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(p[12..]) != Crc32.HashToUInt32(p[..12]))
        {
            throw new VqcFormatException("preamble checksum mismatch", 12);
        }

        if (p[8] != Major)
        {
            throw new VqcFormatException($"unsupported major version {p[8]} (this reader supports {Major})", 8);
        }

        if (p[10] != 0 || p[11] != 0)
        {
            throw new VqcFormatException("reserved preamble flags are set", 10);
        }

        return p[9];
    }

    public static void WriteChunk(Stream stream, uint type, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > VqcLimits.MaxChunkPayload)
        {
            throw new InvalidOperationException($"chunk payload of {payload.Length} bytes exceeds the format cap of {VqcLimits.MaxChunkPayload}");
        }

        Span<byte> head = stackalloc byte[ChunkHeader.Size];
        new ChunkHeader(type, payload.Length).Write(head);
        var crc = new Crc32();
        crc.Append(head);
        crc.Append(payload);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(tail, crc.GetCurrentHashAsUInt32());
        stream.Write(head);
        stream.Write(payload);
        stream.Write(tail);
    }
}

/// <summary>Reads chunks from a stream, tracking the byte offset itself so non-seekable streams work.</summary>
internal sealed class ChunkStreamReader
{
    private readonly Stream _stream;

    public ChunkStreamReader(Stream stream, long position, long basePosition)
    {
        _stream = stream;
        Position = position;
        Base = basePosition;
    }

    /// <summary>Offset from the start of the .vqc data.</summary>
    public long Position { get; private set; }

    /// <summary>Stream position of the .vqc data's first byte (0 for non-seekable streams).</summary>
    public long Base { get; }

    public void Reposition(long position)
    {
        _stream.Seek(Base + position, SeekOrigin.Begin);
        Position = position;
    }

    public void ReadExactly(Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = _stream.Read(buffer[total..]);
            if (n == 0)
            {
                throw new VqcFormatException("unexpected end of file", Position + total);
            }

            total += n;
        }

        Position += buffer.Length;
    }

    /// <summary>True at a clean end of stream (no byte available).</summary>
    public bool AtEnd()
    {
        Span<byte> one = stackalloc byte[1];
        if (_stream.CanSeek)
        {
            return _stream.Position >= _stream.Length;
        }

        // Non-seekable: only used after VEND, where any further byte is an error anyway.
        int n = _stream.Read(one);
        return n == 0;
    }

    /// <summary>Reads a chunk header; returns (type, length, offset of the chunk).</summary>
    public (uint Type, int Length, long Offset) ReadChunkHeader(out Crc32 crc)
    {
        long offset = Position;
        Span<byte> head = stackalloc byte[ChunkHeader.Size];
        ReadExactly(head);
        ChunkHeader chunk = ChunkHeader.Read(head);
        chunk.Validate(offset);
        crc = new Crc32();
        crc.Append(head);
        return (chunk.Type, chunk.Length, offset);
    }

    /// <summary>Reads a payload of at most <paramref name="cap"/> bytes and checks the chunk CRC.</summary>
    public byte[] ReadPayload(uint type, int length, long offset, int cap, Crc32 crc)
    {
        if (length > cap)
        {
            throw new VqcFormatException($"chunk '{ChunkTypes.Name(type)}' claims {length} bytes, above its cap of {cap}", offset + 4);
        }

        // Small payloads are read at once; a large claimed length is read in blocks into a buffer that grows with
        // the bytes that actually arrive (doubling), so a truncated file claiming 64 MiB costs what it holds.
        const int initial = 1 << 16;
        byte[] payload = new byte[Math.Min(length, initial)];
        int filled = 0;
        while (filled < length)
        {
            if (filled == payload.Length)
            {
                Array.Resize(ref payload, (int)Math.Min(length, 2L * payload.Length));
            }

            int n = Math.Min(payload.Length - filled, initial);
            ReadExactly(payload.AsSpan(filled, n));
            filled += n;
        }

        crc.Append(payload);
        CheckCrc(type, offset, crc);
        return payload;
    }

    /// <summary>Skips a payload in bounded blocks while checking its CRC.</summary>
    public void SkipPayload(uint type, int length, long offset, Crc32 crc)
    {
        var block = new byte[Math.Min(length, 1 << 16)];
        int left = length;
        while (left > 0)
        {
            int n = Math.Min(left, block.Length);
            ReadExactly(block.AsSpan(0, n));
            crc.Append(block.AsSpan(0, n));
            left -= n;
        }

        CheckCrc(type, offset, crc);
    }

    private void CheckCrc(uint type, long offset, Crc32 crc)
    {
        Span<byte> tail = stackalloc byte[4];
        ReadExactly(tail);
        if (BinaryPrimitives.ReadUInt32LittleEndian(tail) != crc.GetCurrentHashAsUInt32())
        {
            throw new VqcFormatException($"checksum mismatch in chunk '{ChunkTypes.Name(type)}'", offset);
        }
    }
}
