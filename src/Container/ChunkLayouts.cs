using System.Buffers.Binary;

namespace VqCodec.Container;

/// <summary>
/// The fixed prefix of a <c>TOKN</c> payload (spec/container.md §4): u8 level, u8 coding mode, u16 reserved (0),
/// i32 segment, i32 token count; the coded tokens follow. Read and written here for the reader and the writer.
/// </summary>
internal readonly record struct TokenChunkPrefix(int Level, TokenCodingMode Mode, int Segment, int Count)
{
    /// <summary>Bytes of the prefix.</summary>
    public const int Size = 12;

    /// <summary>Offset of the segment field (errors point at it).</summary>
    public const int SegmentOffset = 4;

    /// <summary>Offset of the count field (errors point at it).</summary>
    public const int CountOffset = 8;

    /// <summary>Reads the prefix; <paramref name="reservedZero"/> says whether the reserved bytes are zero.</summary>
    public static TokenChunkPrefix Read(ReadOnlySpan<byte> payload, out bool reservedZero)
    {
        reservedZero = payload[2] == 0 && payload[3] == 0;
        return new(payload[0], (TokenCodingMode)payload[1], BinaryPrimitives.ReadInt32LittleEndian(payload[SegmentOffset..]), BinaryPrimitives.ReadInt32LittleEndian(payload[CountOffset..]));
    }

    /// <summary>Writes the prefix (reserved bytes zero) to the start of <paramref name="payload"/>.</summary>
    public void Write(Span<byte> payload)
    {
        payload[0] = (byte)Level;
        payload[1] = (byte)Mode;
        payload[2] = payload[3] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(payload[SegmentOffset..], Segment);
        BinaryPrimitives.WriteInt32LittleEndian(payload[CountOffset..], Count);
    }
}

/// <summary>The <c>VEND</c> payload (spec/container.md §4): i32 token chunks written, i64 file offset of the seek table (0: none).</summary>
internal readonly record struct EndChunk(int TokenChunks, long SeekIndexOffset)
{
    /// <summary>Bytes of the payload.</summary>
    public const int Size = 12;

    /// <summary>Offset of the seek-table field (errors point at it).</summary>
    public const int SeekIndexField = 4;

    /// <summary>Reads the payload (exactly <see cref="Size"/> bytes).</summary>
    public static EndChunk Read(ReadOnlySpan<byte> payload) =>
        new(BinaryPrimitives.ReadInt32LittleEndian(payload), BinaryPrimitives.ReadInt64LittleEndian(payload[SeekIndexField..]));

    /// <summary>The payload's bytes.</summary>
    public byte[] ToPayload()
    {
        var payload = new byte[Size];
        BinaryPrimitives.WriteInt32LittleEndian(payload, TokenChunks);
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(SeekIndexField), SeekIndexOffset);
        return payload;
    }
}

/// <summary>
/// The fixed prefix of a <c>TSEG</c> payload (spec/container.md §4, §4c): i32 segment, then the first plane's (or the
/// joint layout's) mode byte, whose bit 7 says that a voice block follows it (format 1.4) and bit 6 that an envelope block follows that (format 1.5).
/// </summary>
internal readonly record struct SegmentChunkPrefix(int Segment, byte ModeByte)
{
    /// <summary>Bytes of the prefix.</summary>
    public const int Size = 5;

    /// <summary>Offset of the mode byte.</summary>
    public const int ModeOffset = 4;

    /// <summary>Bit 7 of the mode byte: a voice block follows it.</summary>
    public const byte VoiceFlag = 0x80;

    /// <summary>Bit 6 of the mode byte: an envelope block follows the voice block (format 1.5; only with <see cref="VoiceFlag"/>).</summary>
    public const byte EnvelopeFlag = 0x40;

    /// <summary>True when a voice block follows the prefix.</summary>
    public bool HasVoice => (ModeByte & VoiceFlag) != 0;

    /// <summary>True when an envelope block follows the voice block.</summary>
    public bool HasEnvelope => (ModeByte & EnvelopeFlag) != 0;

    /// <summary>The coding mode, without the voice and envelope flags.</summary>
    public TokenCodingMode Mode => (TokenCodingMode)(ModeByte & ~(VoiceFlag | EnvelopeFlag));

    /// <summary>Reads the prefix (at least <see cref="Size"/> bytes).</summary>
    public static SegmentChunkPrefix Read(ReadOnlySpan<byte> payload) => new(BinaryPrimitives.ReadInt32LittleEndian(payload), payload[ModeOffset]);

    /// <summary>Writes the prefix to the start of <paramref name="payload"/>.</summary>
    public void Write(Span<byte> payload)
    {
        BinaryPrimitives.WriteInt32LittleEndian(payload, Segment);
        payload[ModeOffset] = ModeByte;
    }
}
