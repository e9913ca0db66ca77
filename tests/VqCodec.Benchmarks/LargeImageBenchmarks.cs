using BenchmarkDotNet.Attributes;
using VqCodec.Codec.Image;

namespace VqCodec.Benchmarks;

/// <summary>
/// A 12-megapixel (4000×3000) encode and decode at the default setting, in process with the model loaded (targets: decode
/// within 15 s on the 2-core CPU, and both within 1.5× the per-pixel time of <see cref="ImageCodecBenchmarks"/>' 768×512
/// image). The image is the 768×512 test pattern's generator at full size; the file is encoded once in setup.
/// </summary>
public class LargeImageBenchmarks
{
    private ImageModel _model = null!;
    private byte[] _encoded = [];
    private RgbImage _image = null!;

    /// <summary>
    /// Encoder tile side. 2048-pixel tiles recompute less context (1.23× the pixels against 1.49×) but took 28.8 s against
    /// 10.1 s with the default 1024 (2026-12-07): their buffers outgrow the allocator's heaps (design.md, "Native allocator").
    /// </summary>
    [Params(ImageEncodeOptions.DefaultTileSize)]
    public int EncoderTile { get; set; } = ImageEncodeOptions.DefaultTileSize;

    [GlobalSetup]
    public void Setup()
    {
        _model = ImageModel.LoadPretrained();
        var ms = new MemoryStream();
        _image = ImageCodecBenchmarks.TestImage(4000, 3000);
        ImageCodec.Encode(_model, _image, ms);
        _encoded = ms.ToArray();
    }

    [Benchmark]
    public long Encode() => ImageCodec.Encode(_model, _image, new MemoryStream(), new ImageEncodeOptions { TileSize = EncoderTile }).Bytes;

    [Benchmark]
    public int Decode() => ImageCodec.Decode(_model, new MemoryStream(_encoded)).Width;
}
