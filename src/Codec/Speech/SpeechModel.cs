using VqCodec.Codec.Models;
using VqCodec.Container;
using TorchSharp;
using static TorchSharp.torch;

namespace VqCodec.Codec.Speech;

/// <summary>
/// A loaded speech RVQ model: immutable after loading and safe to share across threads (inference
/// only). Load the model that ships in the library with <see cref="LoadPretrained"/>.
/// </summary>
public sealed class SpeechModel : LoadedModel
{
    /// <summary>Id of the model embedded in this library.</summary>
    public const string PretrainedId = "vqc-speech-v2";

    private static readonly Lazy<SpeechModel> Shared = new(() => Load(OpenEmbedded(PretrainedId + ".vqm")), LazyThreadSafetyMode.ExecutionAndPublication);

    private SpeechModel(SpeechVqVae network, ModelBundle bundle, byte[] hash)
        : base(bundle, hash)
    {
        Network = network;
    }

    /// <summary>Architecture.</summary>
    public SpeechModelConfig Config => Network.Config;

    internal SpeechVqVae Network { get; }

    /// <summary>The pretrained model embedded in the library, loaded once per process and shared.</summary>
    /// <exception cref="InvalidOperationException">The library was built without its pretrained speech model.</exception>
    public static SpeechModel LoadPretrained() => Shared.Value;

    /// <summary>True when the library carries its pretrained speech model.</summary>
    public static bool HasPretrained => IsEmbedded(PretrainedId);

    /// <summary>Loads a model file (.vqm) from a stream (read to its end; the stream is not closed).</summary>
    /// <exception cref="VqcFormatException">Not a model file.</exception>
    /// <exception cref="ModelMismatchException">A model file of another kind.</exception>
    public static SpeechModel Load(Stream stream)
    {
        (ModelBundle bundle, byte[] hash) = ReadBundle(stream, "speech", d => d.Speech is not null);
        var network = new SpeechVqVae(bundle.Description.Speech!);
        LoadHalfState(network, bundle.State);
        network.eval();
        return new SpeechModel(network, bundle, hash);
    }

    /// <summary>Builds a model bundle from a training checkpoint (weights file of <c>Module.save</c>).</summary>
    internal static byte[] BundleFromCheckpoint(string weightsPath, SpeechModelConfig config, string id, TokenPriors? priors, Dictionary<string, string> training)
    {
        using var network = new SpeechVqVae(config);
        network.load(weightsPath);
        return Bundle(network, id, priors, training);
    }

    internal static byte[] Bundle(SpeechVqVae network, string id, TokenPriors? priors, Dictionary<string, string> training)
    {
        var description = new ModelDescription { Kind = "speech", Id = id, Speech = network.Config, Training = training };
        return SerializeHalf(network, description, priors);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Network.Dispose();
        }
    }
}
