using ImageMagick;
using VqCodec.Codec.Image;

namespace VqCodec.Tools.IO;

/// <summary>Reads and writes image files through Magick.NET. The codec library itself only sees pixel buffers.</summary>
internal static class ImageFiles
{
    /// <summary>Largest accepted image, in pixels per side and in total (decompression-bomb guard).</summary>
    public const int MaxSide = 32768;
    public const long MaxPixels = 1L << 28;

    /// <summary>Extensions treated as images when a folder is given.</summary>
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".avif", ".jxl"];

    /// <summary>Reads dimensions without decoding pixels; refuses absurd sizes before allocating.</summary>
    public static (int Width, int Height) Probe(string path)
    {
        MagickImageInfo info;
        try
        {
            info = new MagickImageInfo(path);
        }
        catch (MagickException ex)
        {
            throw new CliException($"{path}: not a readable image ({FirstLine(ex.Message)})", ExitCodes.InvalidData);
        }

        CheckSize(path, (long)info.Width, (long)info.Height);
        return ((int)info.Width, (int)info.Height);
    }

    /// <summary>Channel count (1 grey, 3 RGB, 4 with alpha) and bit depth of the file, read without decoding pixels.</summary>
    public static (int Channels, int Depth) SourceFormat(string path)
    {
        Probe(path);
        try
        {
            using var image = new MagickImage();
            image.Ping(path);
            int channels = image.ColorType is ColorType.Grayscale or ColorType.GrayscaleAlpha ? 1 : 3;
            if (image.HasAlpha)
            {
                channels = 4;
            }

            return (channels, image.Depth > 8 ? 16 : 8);
        }
        catch (MagickException ex)
        {
            throw new CliException($"{path}: not a readable image ({FirstLine(ex.Message)})", ExitCodes.InvalidData);
        }
    }

    /// <summary>Loads an image as 8-bit RGB. Grey is expanded to RGB; alpha is composited over white.</summary>
    public static RgbImage Load(string path) => LoadReduced(path, 1);

    /// <summary>
    /// Loads an image as 8-bit RGB, reduced by <paramref name="shrink"/> in each direction (area-averaging
    /// filter) when it is above 1: training uses this to take JPEG block artefacts out of training targets.
    /// </summary>
    public static RgbImage LoadReduced(string path, int shrink)
    {
        Probe(path);
        try
        {
            var settings = new MagickReadSettings();
            using var image = new MagickImage(path, settings);
            CheckSize(path, image.Width, image.Height);
            if (image.HasAlpha)
            {
                image.BackgroundColor = MagickColors.White;
                image.Alpha(AlphaAction.Remove);
            }

            // Photos from cameras store their rotation in EXIF; the codec sees the picture as it is meant to be seen.
            image.AutoOrient();
            image.ColorSpace = ColorSpace.sRGB;
            if (shrink > 1)
            {
                image.FilterType = FilterType.Box;
                image.Resize(image.Width / (uint)shrink, image.Height / (uint)shrink);
            }

            byte[] pixels = image.GetPixels().ToByteArray(PixelMapping.RGB) ?? throw new CliException($"{path}: no pixel data", ExitCodes.InvalidData);
            return new RgbImage((int)image.Width, (int)image.Height, pixels);
        }
        catch (MagickException ex)
        {
            throw new CliException($"{path}: cannot decode image ({FirstLine(ex.Message)})", ExitCodes.InvalidData);
        }
    }

    /// <summary>
    /// Encodes an RGB image in <paramref name="format"/> and returns the bytes; <paramref name="grey"/> writes a
    /// single-channel image (the decoded image of a greyscale source has equal R, G and B).
    /// </summary>
    public static byte[] Encode(RgbImage image, MagickFormat format, int quality = 0, bool grey = false)
    {
        var settings = new PixelReadSettings((uint)image.Width, (uint)image.Height, StorageType.Char, PixelMapping.RGB);
        using var img = new MagickImage(image.Pixels, settings);
        img.Format = format;
        if (grey)
        {
            img.ColorType = ColorType.Grayscale;
        }

        if (quality > 0)
        {
            img.Quality = (uint)quality;
        }

        return img.ToByteArray();
    }

    /// <summary>Output extensions <see cref="FormatFromPath"/> accepts.</summary>
    public const string OutputExtensions = ".png, .jpg, .jpeg, .webp, .bmp, .tif, .tiff, .ppm";

    /// <summary>The image format an output name asks for.</summary>
    /// <exception cref="CliException">An extension that is not an image format written here (usage error).</exception>
    public static MagickFormat FormatFromPath(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => MagickFormat.Png,
        ".jpg" or ".jpeg" => MagickFormat.Jpeg,
        ".webp" => MagickFormat.WebP,
        ".bmp" => MagickFormat.Bmp,
        ".tif" or ".tiff" => MagickFormat.Tiff,
        ".ppm" => MagickFormat.Ppm,
        string ext => throw new CliException($"{path}: cannot write images as '{(ext.Length == 0 ? "(no extension)" : ext)}'; use one of {OutputExtensions}", ExitCodes.Usage),
    };

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
