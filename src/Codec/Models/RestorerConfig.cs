namespace VqCodec.Codec.Models;

/// <summary>Architecture of the image restoration network (<see cref="ImageRestorerNet"/>).</summary>
public sealed record RestorerConfig
{
    /// <summary>Channels at half resolution.</summary>
    public int Width { get; init; } = 32;

    /// <summary>Residual blocks at half resolution.</summary>
    public int Blocks { get; init; } = 3;

    /// <summary>
    /// Pixels of context each side of a tile: the receptive field, 2·(2·Blocks + 2) pixels (a 3×3 convolution in and out
    /// and two per block, at half resolution), rounded up to the 8-pixel block grid. Tiled output equals whole-image
    /// output exactly. (Until 2026-11-28 it was 8 pixels wider, which changed nothing but the work.)
    /// </summary>
    public int Margin => ((2 * ((2 * Blocks) + 2)) + 7) / 8 * 8;

    /// <summary>Throws when a field is out of range.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (Width < 4 || Width > 256 || Blocks < 0 || Blocks > 16)
        {
            throw new ArgumentException("restorer width must be 4..256 and blocks 0..16");
        }
    }
}
