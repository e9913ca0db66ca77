using BenchmarkDotNet.Attributes;
using VqCodec.Codec.Image;

namespace VqCodec.Benchmarks;

/// <summary>
/// Latency of the image codec on a 768×512 image with the embedded model (target: encode + decode under
/// one second on the 2-core CPU). The encode-only case is the baseline.
/// </summary>
[MemoryDiagnoser]
public class ImageCodecBenchmarks
{
    private ImageModel _model = null!;
    private RgbImage _image = null!;
    private byte[] _encoded = [];

    /// <summary>"tokens-N": N token levels alone; "detail-S": two levels and a detail layer at step S; "default": the encoder's defaults.</summary>
    [Params("tokens-4", "tokens-16", "detail-40", "default")]
    public string Setting { get; set; } = "tokens-4";

    private ImageEncodeOptions Options()
    {
        if (Setting == "default")
        {
            return new ImageEncodeOptions();
        }

        int value = int.Parse(Setting[(Setting.IndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return Setting.StartsWith("tokens", StringComparison.Ordinal) ? new ImageEncodeOptions { Levels = value } : new ImageEncodeOptions { DetailStep = value };
    }

    [GlobalSetup]
    public void Setup()
    {
        if (!ImageModel.HasPretrained)
        {
            throw new InvalidOperationException("the library has no embedded image model");
        }

        _model = ImageModel.LoadPretrained();
        _image = TestImage();
        var ms = new MemoryStream();
        ImageCodec.Encode(_model, _image, ms, Options());
        _encoded = ms.ToArray();
    }

    /// <summary>The test image (768×512 unless asked): ramps with ±8 noise in red and green, a product pattern in blue.</summary>
    internal static RgbImage TestImage(int width = 768, int height = 512)
    {
        var px = new byte[width * height * 3];
        var rng = new Random(1);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = ((y * width) + x) * 3;
                px[i] = (byte)((x + (rng.Next(16) - 8)) & 255);
                px[i + 1] = (byte)((y + (rng.Next(16) - 8)) & 255);
                px[i + 2] = (byte)(((x * y) >> 8) & 255);
            }
        }

        return new RgbImage(width, height, px);
    }

    [Benchmark(Baseline = true)]
    public long Encode()
    {
        var ms = new MemoryStream();
        return ImageCodec.Encode(_model, _image, ms, Options()).Bytes;
    }

    [Benchmark]
    public int Decode() => ImageCodec.Decode(_model, new MemoryStream(_encoded)).Width;

    [Benchmark]
    public int EncodeAndDecode()
    {
        var ms = new MemoryStream();
        ImageCodec.Encode(_model, _image, ms, Options());
        ms.Position = 0;
        return ImageCodec.Decode(_model, ms).Width;
    }
}
