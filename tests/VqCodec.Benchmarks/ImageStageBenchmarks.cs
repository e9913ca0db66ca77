using BenchmarkDotNet.Attributes;
using VqCodec.Codec.Image;

namespace VqCodec.Benchmarks;

/// <summary>
/// Where a 768×512 default encode and decode spend their time, stage by stage (the same calls the codec makes):
/// the encoder network, the decoder network (run by both sides: the encoder needs the token image under the
/// detail layer), the detail layer each way, and the restorer. At 768×512 and at 4000×3000, so a stage whose time per
/// pixel grows with the image shows itself (the line: a 12-megapixel photo within 1.5× the small one's time
/// per pixel).
/// </summary>
public class ImageStageBenchmarks
{
    /// <summary>The image size, width × height.</summary>
    [Params("768x512", "4000x3000")]
    public string Size { get; set; } = "768x512";

    private ImageModel _model = null!;
    private RgbImage _image = null!;
    private int[][] _tokens = [];
    private RgbImage _base = null!;
    private byte[] _detail = [];

    [GlobalSetup]
    public void Setup()
    {
        _model = ImageModel.LoadPretrained();
        string[] wh = Size.Split('x');
        _image = ImageCodecBenchmarks.TestImage(int.Parse(wh[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(wh[1], System.Globalization.CultureInfo.InvariantCulture));
        _tokens = ImageTiling.EncodeTokens(_model, _image, ImageEncodeOptions.DetailBaseLevels, ImageEncodeOptions.DefaultTileSize, CancellationToken.None);
        _base = ImageTiling.DecodeTokens(_model, _image.Width, _image.Height, _tokens, ImageDecodeOptions.DefaultTileSize, CancellationToken.None);
        _detail = DetailLayer.Encode(_image, _base, ImageEncodeOptions.DefaultDetailStep);
    }

    /// <summary>The whole default encode (the sum of the encoder's stages, the token prior and the container).</summary>
    [Benchmark]
    public long Encode() => ImageCodec.Encode(_model, _image, new MemoryStream()).Bytes;

    [Benchmark]
    public int EncoderNetwork() => ImageTiling.EncodeTokens(_model, _image, ImageEncodeOptions.DetailBaseLevels, ImageEncodeOptions.DefaultTileSize, CancellationToken.None).Length;

    [Benchmark]
    public int DecoderNetwork() => ImageTiling.DecodeTokens(_model, _image.Width, _image.Height, _tokens, ImageDecodeOptions.DefaultTileSize, CancellationToken.None).Width;

    [Benchmark]
    public int DetailEncode() => DetailLayer.Encode(_image, _base, ImageEncodeOptions.DefaultDetailStep).Length;

    /// <summary>The detail layer in syntax version 2 (16×16 macroblocks), for comparison with the current version 3.</summary>
    [Benchmark]
    public int DetailEncodeSyntax2() => DetailLayer.Encode(_image, _base, ImageEncodeOptions.DefaultDetailStep, version: 2).Length;

    [Benchmark]
    public int DetailDecode()
    {
        var copy = new RgbImage(_base.Width, _base.Height, (byte[])_base.Pixels.Clone());
        DetailLayer.Apply(_detail, copy);
        return copy.Width;
    }

    [Benchmark]
    public int Restorer()
    {
        var copy = new RgbImage(_base.Width, _base.Height, (byte[])_base.Pixels.Clone());
        _model.Restorer!.Apply(copy, _base, ImageEncodeOptions.DefaultDetailStep, ImageDecodeOptions.DefaultTileSize, CancellationToken.None);
        return copy.Width;
    }
}
