using System.Buffers.Binary;

namespace VqCodec.Container;

/// <summary>
/// The 8 bytes that open every chunk (spec/container.md §3): u32 type (four ASCII letters), i32 payload length;
/// the payload and a u32 CRC-32 follow. The one parser of chunk framing for every reader of the library.
/// </summary>
/// <param name="Type">Chunk type.</param>
/// <param name="Length">Payload length as stored (may be out of range until <see cref="Validate"/>).</param>
internal readonly record struct ChunkHeader(uint Type, int Length)
{
    /// <summary>Bytes of the type and length fields.</summary>
    public const int Size = 8;

    /// <summary>Bytes a chunk adds around its payload: type, length and CRC-32.</summary>
    public const int Overhead = 12;

    /// <summary>The whole chunk's size: framing plus payload.</summary>
    public long Total => Overhead + (long)Length;

    /// <summary>Reads the fields at the start of <paramref name="bytes"/> (at least <see cref="Size"/> bytes).</summary>
    public static ChunkHeader Read(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt32LittleEndian(bytes), BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]));

    /// <summary>Writes the fields to the start of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Type);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Length);
    }

    /// <summary>True when the length is within 0..<paramref name="cap"/>.</summary>
    public bool LengthWithin(int cap = VqcLimits.MaxChunkPayload) => Length >= 0 && Length <= cap;

    /// <summary>Throws unless the type is well formed and the length within the format's cap; <paramref name="offset"/> is the chunk's position in the file.</summary>
    /// <exception cref="VqcFormatException">A malformed type or an out-of-range length.</exception>
    public void Validate(long offset)
    {
        if (!ChunkTypes.IsWellFormed(Type))
        {
            throw new VqcFormatException($"malformed chunk type '{ChunkTypes.Name(Type)}'", offset);
        }

        if (!LengthWithin())
        {
            throw new VqcFormatException($"chunk '{ChunkTypes.Name(Type)}' claims {(uint)Length} bytes, above the cap of {VqcLimits.MaxChunkPayload}", offset + 4);
        }
    }
}
