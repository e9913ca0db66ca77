using VqCodec.Codec.Image;
using VqCodec.Codec.Models;
using VqCodec.Container;
using TorchSharp;
using static TorchSharp.torch;

namespace VqCodec.Codec.Speech;

/// <summary>
/// A loaded speech RVQ model: immutable after loading and safe to share across threads (inference
/// only). Load the model that ships in the library with <see cref="LoadPretrained"/>.
/// </summary>
public sealed class SpeechModel : IDisposable
{
    /// <summary>Id of the model embedded in this library.</summary>
    public const string PretrainedId = "vqc-speech-v1";

    private static readonly Lazy<SpeechModel> Shared = new(() => Load(ImageModel.OpenEmbedded(PretrainedId + ".vqm")), LazyThreadSafetyMode.ExecutionAndPublication);

    private SpeechModel(SpeechVqVae network, string id, byte[] hash, TokenPriors? priors, ModelDescription description)
    {
        Network = network;
        Id = id;
        Hash = hash;
        Priors = priors;
        Description = description;
    }

    /// <summary>Stable model id.</summary>
    public string Id { get; }

    /// <summary>SHA-256 of the model file.</summary>
    public byte[] Hash { get; }

    /// <summary>Static token tables for entropy coding (null when the model has none).</summary>
    public TokenPriors? Priors { get; }

    /// <summary>The model's description (architecture and training facts).</summary>
    public ModelDescription Description { get; }

    /// <summary>Architecture.</summary>
    public SpeechModelConfig Config => Network.Config;

    internal SpeechVqVae Network { get; }

    /// <summary>The pretrained model embedded in the library, loaded once per process and shared.</summary>
    /// <exception cref="InvalidOperationException">The library was built without its pretrained speech model.</exception>
    public static SpeechModel LoadPretrained() => Shared.Value;

    /// <summary>True when the library carries its pretrained speech model.</summary>
    public static bool HasPretrained => typeof(SpeechModel).Assembly.GetManifestResourceInfo("VqCodec.Models." + PretrainedId + ".vqm") is not null;

    /// <summary>Loads a model file (.vqm) from a stream (read to its end; the stream is not closed).</summary>
    /// <exception cref="InvalidDataException">Not a speech model file.</exception>
    public static SpeechModel Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var ms = new MemoryStream();
        stream.CopyTo(ms);
        (ModelBundle bundle, byte[] hash) = ModelBundle.Parse(ms.ToArray());
        if (bundle.Description.Kind != "speech" || bundle.Description.Speech is null)
        {
            throw new InvalidDataException($"model '{bundle.Description.Id}' is a {bundle.Description.Kind} model, not a speech model");
        }

        var network = new SpeechVqVae(bundle.Description.Speech);
        ImageModel.LoadHalfState(network, bundle.State);
        network.eval();
        return new SpeechModel(network, bundle.Description.Id, hash, bundle.Priors, bundle.Description);
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
        network.to(ScalarType.Float16);
        var state = new MemoryStream();
        network.save(state);
        network.to(ScalarType.Float32);
        var description = new ModelDescription { Kind = "speech", Id = id, Speech = network.Config, Training = training };
        return ModelBundle.Serialize(description, priors, state.ToArray());
    }

    /// <summary>Throws <see cref="ModelMismatchException"/> when a header names another model.</summary>
    public void EnsureMatches(VqcHeader header) => ModelBundle.EnsureMatches(header, Id, Hash);

    /// <summary>Releases the network's native memory.</summary>
    public void Dispose() => Network.Dispose();
}
