using ImageMagick;
using VqCodec.Codec.Image;

namespace VqCodec.Tools.Reference;

/// <summary>
/// A classical image codec run in process through Magick.NET at a quality setting. Rates come from the
/// encoded byte count (the whole file, headers included).
/// </summary>
internal sealed record ReferenceImageCodec(string Name, MagickFormat Format, int[] Qualities, Action<MagickImage>? Configure = null)
{
    public static readonly ReferenceImageCodec Jpeg = new("jpeg", MagickFormat.Jpeg, [3, 5, 8, 12, 16, 20, 30, 40, 50, 65, 80, 90],
        img => img.Settings.SetDefine(MagickFormat.Jpeg, "sampling-factor", "4:2:0"));

    public static readonly ReferenceImageCodec WebP = new("webp", MagickFormat.WebP, [1, 5, 10, 20, 30, 45, 60, 75, 90],
        img => img.Settings.SetDefine(MagickFormat.WebP, "method", "4"));

    public static readonly ReferenceImageCodec Avif = new("avif", MagickFormat.Avif, [5, 15, 25, 35, 45, 55, 65, 80],
        img => img.Settings.SetDefine(MagickFormat.Heic, "speed", "8"));

    public static readonly ReferenceImageCodec Jxl = new("jxl", MagickFormat.Jxl, [5, 15, 25, 35, 50, 65, 80, 90],
        img => img.Settings.SetDefine(MagickFormat.Jxl, "effort", "5"));

    public static IReadOnlyList<ReferenceImageCodec> All { get; } = [Jpeg, WebP, Avif, Jxl];

    public byte[] Encode(RgbImage image, int quality)
    {
        var settings = new PixelReadSettings((uint)image.Width, (uint)image.Height, StorageType.Char, PixelMapping.RGB);
        using var img = new MagickImage(image.Pixels, settings);
        img.Format = Format;
        img.Quality = (uint)quality;
        Configure?.Invoke(img);
        return img.ToByteArray();
    }

    public RgbImage Decode(byte[] data)
    {
        using var img = new MagickImage(data);
        img.ColorSpace = ColorSpace.sRGB;
        byte[] pixels = img.GetPixels().ToByteArray(PixelMapping.RGB) ?? throw new InvalidDataException($"{Name}: no pixels");
        return new RgbImage((int)img.Width, (int)img.Height, pixels);
    }
}
