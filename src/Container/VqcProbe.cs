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
        if (data.Length < p + 8)
        {
            throw new VqcFormatException("unexpected end of data in the header chunk", data.Length);
        }

        uint type = BinaryPrimitives.ReadUInt32LittleEndian(data[p..]);
        int length = BinaryPrimitives.ReadInt32LittleEndian(data[(p + 4)..]);
        if (type != ChunkTypes.Header)
        {
            throw new VqcFormatException($"first chunk is '{ChunkTypes.Name(type)}', expected 'VQHD'", p);
        }

        if (length < 0 || length > VqcLimits.MaxHeaderPayload)
        {
            throw new VqcFormatException("header chunk length out of range", p + 4);
        }

        int total = p + 8 + length + 4;
        if (data.Length < total)
        {
            throw new VqcFormatException("unexpected end of data in the header chunk", data.Length);
        }

        uint crc = System.IO.Hashing.Crc32.HashToUInt32(data.Slice(p, 8 + length));
        if (crc != BinaryPrimitives.ReadUInt32LittleEndian(data[(p + 8 + length)..]))
        {
            throw new VqcFormatException("checksum mismatch in chunk 'VQHD'", p);
        }

        return (VqcHeader.Parse(data.Slice(p + 8, length), p + 8), total);
    }
}
