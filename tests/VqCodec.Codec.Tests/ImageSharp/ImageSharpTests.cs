using SixLabors.ImageSharp;
using IsImage = SixLabors.ImageSharp.Image;
using SixLabors.ImageSharp.PixelFormats;
using VqCodec.Codec.Image;
using VqCodec.ImageSharp;

namespace VqCodec.Codec.Tests;

/// <summary>The ImageSharp format module: an ImageSharp app loads and saves .vqc like any other format.</summary>
[Trait("Category", "Pretrained")]
public class ImageSharpTests
{
    private static string Sample
    {
        get
        {
            string? root = AppContext.BaseDirectory;
            while (root is not null && !File.Exists(Path.Combine(root, "VqCodec.sln")))
            {
                root = Path.GetDirectoryName(root);
            }

            return Path.Combine(root!, "samples", "sample.png");
        }
    }

    [Fact]
    public void AnImageSharpAppSavesAndLoadsVqc()
    {
        var configuration = Configuration.Default.Clone();
        configuration.Configure(new VqcConfigurationModule());
        using Image<Rgb24> source = IsImage.Load<Rgb24>(configuration, Sample);
        var file = new MemoryStream();
        source.Save(file, new VqcEncoder { Options = new ImageEncodeOptions { DetailStep = 40 } });

        file.Position = 0;
        IImageInfo info = IsImage.Identify(configuration, file);
        Assert.Equal((source.Width, source.Height), (info.Width, info.Height));

        file.Position = 0;
        using Image<Rgb24> back = IsImage.Load<Rgb24>(configuration, file, out var format);
        Assert.Same(VqcFormat.Instance, format);
        Assert.Equal((source.Width, source.Height), (back.Width, back.Height));
        Assert.Equal(40, back.Metadata.GetFormatMetadata(VqcFormat.Instance).DetailStep);
        var a = new byte[source.Width * source.Height * 3];
        var b = new byte[a.Length];
        source.CopyPixelDataTo(a);
        back.CopyPixelDataTo(b);
        Assert.InRange(Metrics.ImageMetrics.Psnr(new RgbImage(source.Width, source.Height, a), new RgbImage(back.Width, back.Height, b)), 28, 60);

        string path = Path.Combine(Path.GetTempPath(), $"vqc-imagesharp-{Guid.NewGuid():N}.vqc");
        try
        {
            source.Save(path, configuration.ImageFormatsManager.FindEncoder(VqcFormat.Instance));
            using IsImage loaded = IsImage.Load(configuration, path);
            Assert.Equal(source.Width, loaded.Width);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TheDetectorAndDecoderRefuseWhatIsNotAVqcImage()
    {
        var detector = new VqcImageFormatDetector();
        Assert.Null(detector.DetectFormat(File.ReadAllBytes(Sample)));
        var configuration = Configuration.Default.Clone();
        configuration.Configure(new VqcConfigurationModule());

        // A real .vqc header whose image is far above the decoder's pixel limit: identified, not decoded.
        var header = new VqCodec.Container.VqcHeader
        {
            Kind = VqCodec.Container.MediaKind.Image,
            Width = 30000,
            Height = 30000,
            ModelId = ImageModel.PretrainedId,
            ModelHash = ImageModel.LoadPretrained().Hash,
            PriorsHash = new byte[32],
            Levels = [new VqCodec.Container.TokenLevelLayout(1024, 1875, 1875)],
        };
        var file = new MemoryStream();
        new VqCodec.Container.VqcDocument(header, [new int[1875 * 1875]]).Write(file, new VqCodec.Container.VqcWriterOptions { Policy = VqCodec.Container.TokenCodingPolicy.Lz4 }, leaveOpen: true);
        Assert.NotNull(detector.DetectFormat(file.ToArray()));
        file.Position = 0;
        Assert.Equal(30000, IsImage.Identify(configuration, file).Width);
        file.Position = 0;
        Assert.Throws<InvalidImageContentException>(() => new VqcDecoder().Decode<Rgb24>(configuration, file, CancellationToken.None));
    }
}
