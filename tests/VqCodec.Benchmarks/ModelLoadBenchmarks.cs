using BenchmarkDotNet.Attributes;
using VqCodec.Codec.Image;
using VqCodec.Codec.Models;
using VqCodec.Codec.Speech;

namespace VqCodec.Benchmarks;

/// <summary>
/// Start-up cost: loading each embedded model from its resource into a ready network (target ≤ 0.5 s each on the
/// 2-core CPU). <c>LoadPretrained()</c> caches the result per process; these load a fresh copy every time.
/// </summary>
[MemoryDiagnoser]
public class ModelLoadBenchmarks
{
    [Benchmark]
    public string LoadSpeechModel()
    {
        using SpeechModel model = SpeechModel.Load(LoadedModel.OpenEmbedded(SpeechModel.PretrainedId + ".vqm"));
        return model.Id;
    }

    [Benchmark]
    public string LoadImageModel()
    {
        using ImageModel model = ImageModel.Load(LoadedModel.OpenEmbedded(ImageModel.PretrainedId + ".vqm"), LoadedModel.OpenEmbedded(ImageModel.PretrainedRestorerId + ".vqm"));
        return model.Id;
    }

    [Benchmark]
    public int ParseTokenPriors()
    {
        // The part of a model load that the context prior adds: parsing its integer weights.
        return ModelCatalog.ReadFile(LoadedModel.OpenEmbedded(SpeechModel.PretrainedId + ".vqm")).Priors?.Levels ?? 0;
    }
}
