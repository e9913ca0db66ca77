using BenchmarkDotNet.Attributes;
using VqCodec.Codec.Image;

namespace VqCodec.Benchmarks;

/// <summary>
/// A 12-megapixel (4000×3000) decode at the default setting, in process with the model loaded (target: 15 s on the
/// 2-core CPU). The image is the 768×512 test pattern's generator at full size; the file is encoded once in setup.
/// </summary>
public class LargeImageBenchmarks
{
    private ImageModel _model = null!;
    private byte[] _encoded = [];

    [GlobalSetup]
    public void Setup()
    {
        _model = ImageModel.LoadPretrained();
        var ms = new MemoryStream();
        ImageCodec.Encode(_model, ImageCodecBenchmarks.TestImage(4000, 3000), ms);
        _encoded = ms.ToArray();
    }

    [Benchmark]
    public int Decode() => ImageCodec.Decode(_model, new MemoryStream(_encoded)).Width;
}
