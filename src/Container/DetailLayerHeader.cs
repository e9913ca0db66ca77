using System.Buffers.Binary;

namespace VqCodec.Container;

/// <summary>
/// The first 5 bytes of a <c>DETL</c> payload (spec/container.md §4a): u8 syntax version (1, 2 or 3), u16 luma step and
/// u16 chroma step in 1/16 of an 8-bit level. One structure reads and writes them for the codec and the tools.
/// </summary>
/// <param name="Version">Syntax version.</param>
/// <param name="LumaStepUnits">Luma quantizer step in 1/16 level (≥ 1).</param>
/// <param name="ChromaStepUnits">Chroma quantizer step in 1/16 level (≥ 1).</param>
public readonly record struct DetailLayerHeader(byte Version, ushort LumaStepUnits, ushort ChromaStepUnits)
{
    /// <summary>Size of the layout in bytes.</summary>
    public const int Size = 5;

    /// <summary>The syntax version this library writes (version 3: 32×32 macroblocks split into 32×32, 16×16 or 8×8 blocks).</summary>
    public const byte CurrentVersion = 3;

    /// <summary>The oldest syntax version this library reads (version 1: 8×8 blocks only).</summary>
    public const byte FirstVersion = 1;

    /// <summary>Step units per 8-bit pixel level.</summary>
    public const int StepUnits = 16;

    /// <summary>Luma step in pixel levels.</summary>
    public double LumaStep => LumaStepUnits / (double)StepUnits;

    /// <summary>Chroma step in pixel levels.</summary>
    public double ChromaStep => ChromaStepUnits / (double)StepUnits;

    /// <summary>Reads the layout at the start of <paramref name="payload"/>; <paramref name="offset"/> locates it in the file for errors.</summary>
    /// <exception cref="VqcFormatException">Too short, another syntax version, or a zero step.</exception>
    public static DetailLayerHeader Read(ReadOnlySpan<byte> payload, long offset = 0)
    {
        if (payload.Length < Size)
        {
            throw new VqcFormatException("detail layer is too short", offset);
        }

        if (payload[0] is < FirstVersion or > CurrentVersion)
        {
            throw new VqcFormatException($"detail layer syntax version {payload[0]} is not supported", offset);
        }

        var header = new DetailLayerHeader(payload[0], BinaryPrimitives.ReadUInt16LittleEndian(payload[1..]), BinaryPrimitives.ReadUInt16LittleEndian(payload[3..]));
        if (header.LumaStepUnits == 0 || header.ChromaStepUnits == 0)
        {
            throw new VqcFormatException("detail layer quantizer step is zero", offset + 1);
        }

        return header;
    }

    /// <summary>Writes the layout to the start of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        destination[0] = Version;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[1..], LumaStepUnits);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[3..], ChromaStepUnits);
    }
}
