using System.Buffers.Binary;

namespace VqCodec.Container;

/// <summary>Header probing over an in-memory span, without a stream or a model.</summary>
public static class VqcProbe
{
    /// <summary>True when <paramref name="data"/> starts with the .vqc magic.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> data) => data.Length >= 8 && data[..8].SequenceEqual(ChunkIO.Magic);

    /// <summary>Parses the preamble and header at the start of <paramref name="data"/>.</summary>
    /// <returns>The header and the number of bytes it took (preamble and header chunk).</returns>
    /// <exception cref="VqcFormatException">Not a .vqc file, or a bad or truncated header.</exception>
    public static (VqcHeader Header, int Length) ReadHeader(ReadOnlySpan<byte> data)
    {
        ChunkIO.CheckPreamble(data);
        int p = ChunkIO.PreambleSize;
        if (data.Length < p + ChunkHeader.Size)
        {
            throw new VqcFormatException("unexpected end of data in the header chunk", data.Length);
        }

        ChunkHeader chunk = ChunkHeader.Read(data[p..]);
        if (chunk.Type != ChunkTypes.Header)
        {
            throw new VqcFormatException($"first chunk is '{ChunkTypes.Name(chunk.Type)}', expected 'VQHD'", p);
        }

        if (!chunk.LengthWithin(VqcLimits.MaxHeaderPayload))
        {
            throw new VqcFormatException("header chunk length out of range", p + 4);
        }

        int length = chunk.Length, total = p + (int)chunk.Total;
        if (data.Length < total)
        {
            throw new VqcFormatException("unexpected end of data in the header chunk", data.Length);
        }

        uint crc = System.IO.Hashing.Crc32.HashToUInt32(data.Slice(p, ChunkHeader.Size + length));
        if (crc != BinaryPrimitives.ReadUInt32LittleEndian(data[(p + ChunkHeader.Size + length)..]))
        {
            throw new VqcFormatException("checksum mismatch in chunk 'VQHD'", p);
        }

        return (VqcHeader.Parse(data.Slice(p + ChunkHeader.Size, length), p + ChunkHeader.Size), total);
    }
}
