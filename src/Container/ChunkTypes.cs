using System.Buffers.Binary;

namespace VqCodec.Container;

/// <summary>
/// Chunk type codes (FourCC, stored as 4 ASCII letters). A lowercase first letter marks an ancillary
/// chunk, which readers that do not know it skip; an unknown critical chunk is an error.
/// </summary>
public static class ChunkTypes
{
    /// <summary>Header (critical, first).</summary>
    public static readonly uint Header = Code("VQHD");

    /// <summary>Token plane of one level in one segment (critical).</summary>
    public static readonly uint Tokens = Code("TOKN");

    /// <summary>Every level's token plane of one segment of segmented (speech) media (critical).</summary>
    public static readonly uint Segment = Code("TSEG");

    /// <summary>Detail layer of an image: the entropy-coded residual after the token planes (critical, at most one, after the last token plane).</summary>
    public static readonly uint Detail = Code("DETL");

    /// <summary>End of file (critical, last).</summary>
    public static readonly uint End = Code("VEND");

    /// <summary>LZ4-compressed UTF-8 JSON metadata (ancillary).</summary>
    public static readonly uint Metadata = Code("meta");

    /// <summary>Decoder-side restoration network of an image (ancillary, at most one, before the first token chunk; format 1.1).</summary>
    public static readonly uint Restoration = Code("rstr");

    /// <summary>Seek table: segment → byte offset (ancillary).</summary>
    public static readonly uint SeekIndex = Code("sidx");

    /// <summary>Packs four ASCII letters as a little-endian u32 (the byte order they appear in the file).</summary>
    public static uint Code(string fourCc) => BinaryPrimitives.ReadUInt32LittleEndian([(byte)fourCc[0], (byte)fourCc[1], (byte)fourCc[2], (byte)fourCc[3]]);

    /// <summary>The four letters of a code.</summary>
    public static string Name(uint code) => string.Create(4, code, (s, c) =>
    {
        for (int i = 0; i < 4; i++)
        {
            byte b = (byte)(c >> (8 * i));
            s[i] = b is >= 0x20 and < 0x7F ? (char)b : '?';
        }
    });

    /// <summary>True when all four bytes are ASCII letters.</summary>
    public static bool IsWellFormed(uint code)
    {
        for (int i = 0; i < 4; i++)
        {
            byte b = (byte)(code >> (8 * i));
            if (!((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Ancillary chunks have bit 5 of the first byte set (a lowercase first letter).</summary>
    public static bool IsAncillary(uint code) => (code & 0x20) != 0;
}
