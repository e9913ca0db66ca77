namespace VqCodec.Codec.Image;

/// <summary>An 8-bit RGB image, interleaved, row-major, tightly packed (stride = 3 × width).</summary>
public sealed class RgbImage
{
    /// <summary>Wraps <paramref name="pixels"/> (not copied).</summary>
    /// <exception cref="ArgumentException">The buffer length does not match the dimensions.</exception>
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if ((long)width * height * 3 != pixels.LongLength)
        {
            throw new ArgumentException($"Pixel buffer holds {pixels.LongLength} bytes; {width}x{height} RGB needs {(long)width * height * 3}.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Interleaved RGB bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>BT.601 luma (0.299 R + 0.587 G + 0.114 B) of the pixel whose red byte is at <paramref name="offset"/>.</summary>
    internal double LumaAt(int offset) => (0.299 * Pixels[offset]) + (0.587 * Pixels[offset + 1]) + (0.114 * Pixels[offset + 2]);
}
