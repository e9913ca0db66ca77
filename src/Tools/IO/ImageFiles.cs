using ImageMagick;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Tiff.Constants;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using VqCodec.Codec.Image;

namespace VqCodec.Tools.IO;

/// <summary>
/// Reads and writes image files. SixLabors.ImageSharp 2.1.13 reads PNG, JPEG, BMP, GIF, TIFF and WebP and writes every
/// output format; Magick.NET only reads what ImageSharp cannot (AVIF, JPEG XL). The codec library itself only sees
/// pixel buffers.
/// </summary>
internal static class ImageFiles
{
    /// <summary>Largest accepted image, in pixels per side and in total (decompression-bomb guard).</summary>
    public const int MaxSide = 32768;
    public const long MaxPixels = 1L << 28;

    /// <summary>Extensions treated as images when a folder is given.</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".avif", ".jxl"];

    /// <summary>Output extensions <see cref="WriteFormat"/> accepts.</summary>
    public const string OutputExtensions = ".png, .jpg, .jpeg, .webp, .bmp, .tif, .tiff, .ppm";

    private static bool ThroughMagick(string path) => Path.GetExtension(path).ToLowerInvariant() is ".avif" or ".jxl";

    /// <summary>Reads dimensions without decoding pixels; refuses absurd sizes before allocating.</summary>
    public static (int Width, int Height) Probe(string path)
    {
        if (ThroughMagick(path))
        {
            MagickImageInfo info = Magick(path, () => new MagickImageInfo(path));
            CheckSize(path, info.Width, info.Height);
            return ((int)info.Width, (int)info.Height);
        }

        IImageInfo image = Sharp(path, () => Image.Identify(path) ?? throw new UnknownImageFormatException("unknown format"));
        CheckSize(path, image.Width, image.Height);
        return (image.Width, image.Height);
    }

    /// <summary>Channel count (1 grey, 3 RGB, 4 with alpha) and bit depth of the file, read without decoding pixels.</summary>
    public static (int Channels, int Depth) SourceFormat(string path)
    {
        Probe(path);
        if (ThroughMagick(path))
        {
            using var magick = new MagickImage();
            Magick(path, () => { magick.Ping(path); return 0; });
            int c = magick.ColorType is ColorType.Grayscale or ColorType.GrayscaleAlpha ? 1 : 3;
            return (magick.HasAlpha ? 4 : c, magick.Depth > 8 ? 16 : 8);
        }

        IImageInfo info = Sharp(path, () => Image.Identify(path)!);
        int bits = info.PixelType.BitsPerPixel;
        PngColorType? png = Path.GetExtension(path).Equals(".png", StringComparison.OrdinalIgnoreCase) ? info.Metadata.GetPngMetadata().ColorType : null;
        return png switch
        {
            PngColorType.Grayscale => (1, bits > 8 ? 16 : 8),
            PngColorType.GrayscaleWithAlpha => (4, bits > 16 ? 16 : 8),
            PngColorType.RgbWithAlpha => (4, bits > 32 ? 16 : 8),
            not null => (3, bits > 24 ? 16 : 8),
            null when info.Metadata.GetJpegMetadata().ColorType == JpegColorType.Luminance => (1, 8),
            null => (bits == 32 ? 4 : 3, bits > 32 ? 16 : 8),
        };
    }

    /// <summary>Loads an image as 8-bit RGB. Grey is expanded to RGB; alpha is composited over white.</summary>
    public static RgbImage Load(string path) => LoadReduced(path, 1);

    /// <summary>
    /// Loads an image as 8-bit RGB, reduced by <paramref name="shrink"/> in each direction (box filter) when it is
    /// above 1: training uses this to take JPEG block artefacts out of training targets.
    /// </summary>
    public static RgbImage LoadReduced(string path, int shrink)
    {
        if (ThroughMagick(path))
        {
            Probe(path);
            return LoadWithMagick(path, shrink);
        }

        // One read: the size is checked from the header and the end of the file before any pixel is decoded.
        byte[] data = File.ReadAllBytes(path);
        IImageInfo info = Sharp(path, () => Image.Identify(data) ?? throw new UnknownImageFormatException("unknown format"));
        CheckSize(path, info.Width, info.Height);
        CheckComplete(path, data);
        return Sharp(path, () =>
        {
            using Image<Rgba32> image = Image.Load<Rgba32>(data);

            // Photos from cameras store their rotation in EXIF; the codec sees the picture as it is meant to be seen.
            // Alpha is composited over white (the codec is RGB).
            image.Mutate(x => x.AutoOrient().BackgroundColor(Color.White));
            if (shrink > 1)
            {
                image.Mutate(x => x.Resize(image.Width / shrink, image.Height / shrink, KnownResamplers.Box));
            }

            using Image<Rgb24> rgb = image.CloneAs<Rgb24>();
            var pixels = new byte[checked(rgb.Width * rgb.Height * 3)];
            rgb.CopyPixelDataTo(pixels);
            return new RgbImage(rgb.Width, rgb.Height, pixels);
        });
    }

    /// <summary>The encoder an output name asks for.</summary>
    /// <exception cref="CliException">An extension that is not an image format written here (usage error).</exception>
    public static string WriteFormat(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "png",
        ".jpg" or ".jpeg" => "jpeg",
        ".webp" => "webp",
        ".bmp" => "bmp",
        ".tif" or ".tiff" => "tiff",
        ".ppm" => "ppm",
        string ext => throw new CliException($"{path}: cannot write images as '{(ext.Length == 0 ? "(no extension)" : ext)}'; use one of {OutputExtensions}", ExitCodes.Usage),
    };

    /// <summary>
    /// Encodes an RGB image in <paramref name="format"/> (from <see cref="WriteFormat"/>) and returns the bytes;
    /// <paramref name="grey"/> writes a single-channel image where the format has one (the decoded image of a
    /// greyscale source has equal R, G and B). <paramref name="quality"/> applies to JPEG (default 95).
    /// </summary>
    public static byte[] Encode(RgbImage image, string format, int quality = 95, bool grey = false)
    {
        using Image<Rgb24> img = Image.LoadPixelData<Rgb24>(image.Pixels, image.Width, image.Height);
        IImageEncoder encoder = format switch
        {
            "png" => new PngEncoder { ColorType = grey ? PngColorType.Grayscale : PngColorType.Rgb, BitDepth = PngBitDepth.Bit8, CompressionLevel = PngCompressionLevel.Level3 },
            "jpeg" => new JpegEncoder { Quality = quality, ColorType = grey ? JpegColorType.Luminance : JpegColorType.YCbCrRatio420 },
            "webp" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossless },
            "bmp" => new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 },
            "tiff" => new TiffEncoder { BitsPerPixel = grey ? TiffBitsPerPixel.Bit8 : TiffBitsPerPixel.Bit24, Compression = TiffCompression.Deflate },
            "ppm" => new PbmEncoder { ColorType = grey ? PbmColorType.Grayscale : PbmColorType.Rgb, Encoding = PbmEncoding.Binary },
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
        var ms = new MemoryStream();
        img.Save(ms, encoder);
        return ms.ToArray();
    }

    private static RgbImage LoadWithMagick(string path, int shrink) => Magick(path, () =>
    {
        using var image = new MagickImage(path, new MagickReadSettings());
        CheckSize(path, image.Width, image.Height);
        if (image.HasAlpha)
        {
            image.BackgroundColor = MagickColors.White;
            image.Alpha(AlphaAction.Remove);
        }

        image.AutoOrient();
        image.ColorSpace = ColorSpace.sRGB;
        if (shrink > 1)
        {
            image.FilterType = FilterType.Box;
            image.Resize(image.Width / (uint)shrink, image.Height / (uint)shrink);
        }

        byte[] pixels = image.GetPixels().ToByteArray(PixelMapping.RGB) ?? throw new CliException($"{path}: no pixel data", ExitCodes.InvalidData);
        return new RgbImage((int)image.Width, (int)image.Height, pixels);
    });

    /// <summary>
    /// ImageSharp 2.1 decodes a cut PNG, JPEG or GIF without complaint (missing rows come out grey), so the end of
    /// the file is checked first: PNG's IEND chunk, JPEG's end-of-image marker, GIF's trailer, and the sizes BMP
    /// and WebP (RIFF) declare. (TIFF's layout has no fixed end; its decoder reports missing strips itself.)
    /// </summary>
    private static void CheckComplete(string path, byte[] data)
    {
        ReadOnlySpan<byte> d = data;
        bool complete = d switch
        {
            [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => d.EndsWith((ReadOnlySpan<byte>)[0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82]),
            [0xFF, 0xD8, ..] => d[Math.Max(0, d.Length - 4096)..].IndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) >= 0,
            [(byte)'G', (byte)'I', (byte)'F', ..] => d[^1] == 0x3B,
            [(byte)'B', (byte)'M', ..] when d.Length >= 6 => BitConverter.ToUInt32(data, 2) <= (uint)d.Length,
            [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => BitConverter.ToUInt32(data, 4) + 8L <= d.Length,
            _ => true,
        };
        if (!complete)
        {
            throw new CliException($"{path}: the image file is truncated", ExitCodes.InvalidData);
        }
    }

    private static T Sharp<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is UnknownImageFormatException or InvalidImageContentException or ImageFormatException or NotSupportedException)
        {
            throw new CliException($"{path}: not a readable image ({FirstLine(ex.Message)})", ExitCodes.InvalidData);
        }
    }

    private static T Magick<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (MagickException ex)
        {
            throw new CliException($"{path}: not a readable image ({FirstLine(ex.Message)})", ExitCodes.InvalidData);
        }
    }

    private static void CheckSize(string path, long width, long height)
    {
        if (width <= 0 || height <= 0)
        {
            throw new CliException($"{path}: image has zero size", ExitCodes.InvalidData);
        }

        if (width > MaxSide || height > MaxSide || width * height > MaxPixels)
        {
            throw new CliException($"{path}: image is {width}x{height}, above the limit of {MaxSide} per side and {MaxPixels} pixels", ExitCodes.InvalidData);
        }
    }

    private static string FirstLine(string s)
    {
        int i = s.IndexOfAny(['\r', '\n']);
        return i < 0 ? s : s[..i];
    }
}
