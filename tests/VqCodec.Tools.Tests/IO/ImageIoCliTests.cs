using ImageMagick;

namespace VqCodec.Tools.Tests;

/// <summary>Image inputs and outputs as a user expects them: grey stays grey, EXIF orientation, output formats, rate landing.</summary>
[Trait("Category", "Pretrained")]
public class ImageIoCliTests
{
    private static string Sample => Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.png");

    [Fact]
    public void GreyscaleInputDecodesToGreyscale()
    {
        string dir = CliRunner.TempDir();
        using (var image = new MagickImage(Sample))
        {
            image.Crop(256, 192);
            image.ColorType = ColorType.Grayscale;
            image.Write(Path.Combine(dir, "grey.png"));
        }

        var r = CliRunner.Run(dir, "encode", "grey.png", "-o", "g.vqc");
        Assert.True(r.Code == 0, r.StdErr);
        r = CliRunner.Run(dir, "decode", "g.vqc", "-o", "g.png");
        Assert.True(r.Code == 0, r.StdErr);
        using var back = new MagickImage(Path.Combine(dir, "g.png"));
        Assert.Equal(ColorType.Grayscale, back.ColorType);
        byte[] rgb = back.GetPixels().ToByteArray(PixelMapping.RGB)!;
        for (int i = 0; i < rgb.Length; i += 3)
        {
            Assert.True(rgb[i] == rgb[i + 1] && rgb[i] == rgb[i + 2], $"colour at pixel {i / 3}");
        }
    }

    [Fact]
    public void ExifOrientationIsAppliedOnInput()
    {
        // A landscape JPEG whose EXIF says "rotate 90° clockwise to display": the codec must see it in portrait.
        string dir = CliRunner.TempDir();
        using (var image = new MagickImage(Sample))
        {
            image.Crop(192, 96);
            var exif = new ExifProfile();
            exif.SetValue(ExifTag.Orientation, (ushort)6);
            image.SetProfile(exif);
            image.Orientation = Orientation.RightTop;
            image.Quality = 95;
            image.Write(Path.Combine(dir, "rotated.jpg"), MagickFormat.Jpeg);
        }

        var r = CliRunner.Run(dir, "encode", "rotated.jpg", "-o", "r.vqc");
        Assert.True(r.Code == 0, r.StdErr);
        r = CliRunner.Run(dir, "decode", "r.vqc", "-o", "r.png");
        Assert.True(r.Code == 0, r.StdErr);
        using var back = new MagickImage(Path.Combine(dir, "r.png"));
        Assert.Equal(96u, back.Width);
        Assert.Equal(192u, back.Height);
    }

    [Fact]
    public void DecodeWritesTheFormatTheNameAsksForOrRefuses()
    {
        string dir = CliRunner.TempDir();
        var r = CliRunner.Run(dir, "encode", Sample, "-o", "s.vqc", "--levels", "2");
        Assert.True(r.Code == 0, r.StdErr);
        r = CliRunner.Run(dir, "decode", "s.vqc", "-o", "s.jpg");
        Assert.True(r.Code == 0, r.StdErr);
        byte[] jpg = File.ReadAllBytes(Path.Combine(dir, "s.jpg"));
        Assert.Equal([0xFF, 0xD8], jpg[..2]);
        r = CliRunner.Run(dir, "decode", "s.vqc", "-o", "s.avif");
        Assert.Equal(2, r.Code);
        Assert.Single(r.StdErr.Trim().Split('\n'));
        Assert.Contains("cannot write images as '.avif'", r.StdErr);
        Assert.False(File.Exists(Path.Combine(dir, "s.avif")));
    }

    [Fact]
    public void RateTargetLandsWithinFivePercentUnderIt()
    {
        string dir = CliRunner.TempDir();
        foreach (double target in new[] { 0.2, 0.45 })
        {
            string name = $"t{target}.vqc";
            var r = CliRunner.Run(dir, "encode", Sample, "-o", name, "--bpp", target.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(r.Code == 0, r.StdErr);
            double bpp = new FileInfo(Path.Combine(dir, name)).Length * 8.0 / (768 * 512);
            Assert.InRange(bpp, target * 0.95, target);
        }
    }
}
