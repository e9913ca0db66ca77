using TorchSharp;
using VqCodec.Codec.Models;
using VqCodec.Container;
using static TorchSharp.torch;

namespace VqCodec.Codec.Image;

/// <summary>
/// A loaded image VQ-VAE: immutable after loading and safe to share across threads (inference only,
/// no gradients, no state changes). Load the model that ships in the library with <see cref="LoadPretrained"/>.
/// </summary>
public sealed class ImageModel : LoadedModel
{
    /// <summary>Id of the model embedded in this library.</summary>
    public const string PretrainedId = "vqc-image-v1";

    /// <summary>Id of the restoration network embedded in this library for <see cref="PretrainedId"/> (the one the encoder names).</summary>
    public const string PretrainedRestorerId = "vqc-image-v1-restore2";

    /// <summary>Ids of earlier restoration networks embedded so that files naming them decode as they did.</summary>
    public static readonly IReadOnlyList<string> FormerRestorerIds = ["vqc-image-v1-restore"];

    private static readonly Lazy<ImageModel> Shared = new(
        () => Load(
            OpenEmbedded(PretrainedId + ".vqm"),
            IsEmbedded(PretrainedRestorerId) ? OpenEmbedded(PretrainedRestorerId + ".vqm") : null,
            IsEmbedded(PretrainedId, ".vqpr") ? OpenEmbedded(PretrainedId + ".vqpr") : null,
            [.. FormerRestorerIds.Where(id => IsEmbedded(id)).Select(id => OpenEmbedded(id + ".vqm"))]),
        LazyThreadSafetyMode.ExecutionAndPublication);

    private ImageModel(ImageVqVae network, ModelBundle bundle, byte[] hash, ImageRestorer? restorer, IReadOnlyList<ImageRestorer> restorers, TokenPriors? companion)
        : base(bundle, hash, companion)
    {
        Network = network;
        Restorer = restorer;
        Restorers = restorers;
    }

    /// <summary>
    /// The decoder-side restoration network that ships with this model (null when it has none): the encoder
    /// names it in files with a detail layer, and the decoder applies it after the detail layer.
    /// </summary>
    public ImageRestorer? Restorer { get; }

    /// <summary>
    /// Every restoration network this model decodes with: <see cref="Restorer"/> first, then earlier networks kept so
    /// that files naming them (their id and hash in the <c>rstr</c> chunk) still decode to the same pixels.
    /// </summary>
    public IReadOnlyList<ImageRestorer> Restorers { get; }

    /// <summary>Architecture.</summary>
    public ImageModelConfig Config => Network.Config;

    internal ImageVqVae Network { get; }

    /// <summary>The pretrained model embedded in the library, loaded once per process and shared.</summary>
    /// <exception cref="InvalidOperationException">The library was built without its pretrained model.</exception>
    public static ImageModel LoadPretrained() => Shared.Value;

    /// <summary>True when the library carries its pretrained image model.</summary>
    public static bool HasPretrained => IsEmbedded(PretrainedId);

    /// <summary>
    /// Loads a model file (.vqm) from a stream (read to its end; the stream is not closed), with the restoration
    /// network in <paramref name="restorer"/> when one is given, and the companion priors file (.vqpr: the model's
    /// token tables plus a learned grid context prior, spec §5b) in <paramref name="priors"/> when one is given; the
    /// encoder then writes with those priors, and files naming either set decode.
    /// </summary>
    /// <exception cref="VqcFormatException">A file is malformed (not a model file, or priors that do not parse).</exception>
    /// <exception cref="ModelMismatchException">A model of another kind, a restorer made for another model, or priors that do not extend this model's tables.</exception>
    public static ImageModel Load(Stream stream, Stream? restorer = null, Stream? priors = null) => Load(stream, restorer, priors, []);

    /// <summary>
    /// Loads a model file as <see cref="Load(Stream, Stream?, Stream?)"/> does, with earlier restoration networks in
    /// <paramref name="formerRestorers"/>: the encoder names <paramref name="restorer"/>, and files naming any of them decode.
    /// </summary>
    /// <exception cref="VqcFormatException">A file is malformed.</exception>
    /// <exception cref="ModelMismatchException">A model of another kind, a restorer made for another model, or priors that do not extend this model's tables.</exception>
    public static ImageModel Load(Stream stream, Stream? restorer, Stream? priors, IReadOnlyList<Stream> formerRestorers)
    {
        ArgumentNullException.ThrowIfNull(formerRestorers);
        (ModelBundle bundle, byte[] hash) = ReadBundle(stream, "image", d => d.Image is not null);
        TokenPriors? companion = priors is null ? null : TokenPriors.Deserialize(ReadAll(priors));
        var loaded = new List<ImageRestorer>();
        try
        {
            foreach (Stream s in restorer is null ? formerRestorers : [restorer, .. formerRestorers])
            {
                ImageRestorer r = ImageRestorer.Load(s);
                loaded.Add(r);
                if (r.BaseModel != bundle.Description.Id)
                {
                    throw new ModelMismatchException($"restorer '{r.Id}' was trained for model '{r.BaseModel}', not '{bundle.Description.Id}'", r.BaseModel, bundle.Description.Id);
                }
            }
        }
        catch
        {
            loaded.ForEach(r => r.Dispose());
            throw;
        }

        var network = new ImageVqVae(bundle.Description.Image!);
        LoadHalfState(network, bundle.State);
        network.eval();
        try
        {
            return new ImageModel(network, bundle, hash, restorer is null ? null : loaded[0], loaded, companion);
        }
        catch (ModelMismatchException)
        {
            network.Dispose();
            loaded.ForEach(r => r.Dispose());
            throw;
        }
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
        var description = new ModelDescription { Kind = "image", Id = id, Image = network.Config, Training = training };
        return SerializeHalf(network, description, priors);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Network.Dispose();
            foreach (ImageRestorer r in Restorers)
            {
                r.Dispose();
            }
        }
    }
}
