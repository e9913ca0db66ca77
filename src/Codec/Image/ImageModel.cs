using System.Reflection;
using TorchSharp;
using VqCodec.Codec.Models;
using VqCodec.Container;
using static TorchSharp.torch;

namespace VqCodec.Codec.Image;

/// <summary>
/// A loaded image VQ-VAE: immutable after loading and safe to share across threads (inference only,
/// no gradients, no state changes). Load the model that ships in the library with <see cref="LoadPretrained"/>.
/// </summary>
public sealed class ImageModel : IDisposable
{
    /// <summary>Id of the model embedded in this library.</summary>
    public const string PretrainedId = "vqc-image-v1";

    private static readonly Lazy<ImageModel> Shared = new(() => Load(OpenEmbedded(PretrainedId + ".vqm")), LazyThreadSafetyMode.ExecutionAndPublication);

    private ImageModel(ImageVqVae network, string id, byte[] hash, TokenPriors? priors, ModelDescription description)
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
    public ImageModelConfig Config => Network.Config;

    internal ImageVqVae Network { get; }

    /// <summary>The pretrained model embedded in the library, loaded once per process and shared.</summary>
    /// <exception cref="InvalidOperationException">The library was built without its pretrained model.</exception>
    public static ImageModel LoadPretrained() => Shared.Value;

    /// <summary>True when the library carries its pretrained image model.</summary>
    public static bool HasPretrained => typeof(ImageModel).Assembly.GetManifestResourceInfo("VqCodec.Models." + PretrainedId + ".vqm") is not null;

    /// <summary>Loads a model file (.vqm) from a stream (read to its end; the stream is not closed).</summary>
    /// <exception cref="InvalidDataException">Not an image model file.</exception>
    public static ImageModel Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var ms = new MemoryStream();
        stream.CopyTo(ms);
        (ModelBundle bundle, byte[] hash) = ModelBundle.Parse(ms.ToArray());
        if (bundle.Description.Kind != "image" || bundle.Description.Image is null)
        {
            throw new InvalidDataException($"model '{bundle.Description.Id}' is a {bundle.Description.Kind} model, not an image model");
        }

        var network = new ImageVqVae(bundle.Description.Image);
        LoadHalfState(network, bundle.State);
        network.eval();
        return new ImageModel(network, bundle.Description.Id, hash, bundle.Priors, bundle.Description);
    }

    /// <summary>Builds a model bundle from a training checkpoint (weights file of <c>Module.save</c>).</summary>
    internal static byte[] BundleFromCheckpoint(string weightsPath, ImageModelConfig config, string id, TokenPriors? priors, Dictionary<string, string> training)
    {
        using var network = new ImageVqVae(config);
        network.load(weightsPath);
        return Bundle(network, id, priors, training);
    }

    internal static byte[] Bundle(ImageVqVae network, string id, TokenPriors? priors, Dictionary<string, string> training)
    {
        network.to(ScalarType.Float16);
        var state = new MemoryStream();
        network.save(state);
        network.to(ScalarType.Float32);
        var description = new ModelDescription { Kind = "image", Id = id, Image = network.Config, Training = training };
        return ModelBundle.Serialize(description, priors, state.ToArray());
    }

    internal static void LoadHalfState(nn.Module network, byte[] state)
    {
        network.to(ScalarType.Float16);
        network.load(new MemoryStream(state));
        network.to(ScalarType.Float32);
    }

    internal static Stream OpenEmbedded(string name)
    {
        Assembly asm = typeof(ImageModel).Assembly;
        return asm.GetManifestResourceStream("VqCodec.Models." + name)
            ?? throw new InvalidOperationException($"this build of VqCodec.Codec has no embedded model '{name}'");
    }

    /// <summary>Throws <see cref="ModelMismatchException"/> when a header names another model.</summary>
    public void EnsureMatches(VqcHeader header) => ModelBundle.EnsureMatches(header, Id, Hash);

    /// <summary>Releases the network's native memory.</summary>
    public void Dispose() => Network.Dispose();
}
