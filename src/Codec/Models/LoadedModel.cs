using System.Reflection;
using TorchSharp;
using VqCodec.Container;

namespace VqCodec.Codec.Models;

/// <summary>
/// What every loaded model file has in common: its identity (id and SHA-256, written into every .vqc
/// header), the token priors that ship with it, and its description. Image and speech models derive
/// from it and add their network.
/// </summary>
public abstract class LoadedModel : IDisposable
{
    private protected LoadedModel(ModelBundle bundle, byte[] hash, TokenPriors? companion = null)
    {
        Id = bundle.Description.Id;
        Hash = hash;
        if (companion is not null && (bundle.Priors is null || !companion.WithContext(null).Hash.AsSpan().SequenceEqual(bundle.Priors.Hash)))
        {
            throw new ModelMismatchException($"the priors file does not extend the token tables of model '{Id}'", "priors file", Id);
        }

        Priors = companion ?? bundle.Priors;
        DecodablePriors = [.. new[] { companion, bundle.Priors }.OfType<TokenPriors>()];
        Description = bundle.Description;
    }

    /// <summary>Stable model id.</summary>
    public string Id { get; }

    /// <summary>SHA-256 of the model file.</summary>
    public byte[] Hash { get; }

    /// <summary>
    /// The token priors the encoder writes with (null when the model has none): the model file's static tables, or
    /// a companion priors file that adds a learned context prior to those same tables.
    /// </summary>
    public TokenPriors? Priors { get; }

    /// <summary>Every set of token priors a file of this model may name: <see cref="Priors"/> and, with a companion, the model file's own.</summary>
    public IReadOnlyList<TokenPriors> DecodablePriors { get; }

    /// <summary>The priors of <see cref="DecodablePriors"/> whose hash <paramref name="header"/> names, or null (the one resolver every decoder of this model uses).</summary>
    public TokenPriors? FindPriors(VqcHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        return TokenPriors.Resolver(DecodablePriors)(header);
    }

    /// <summary>The model's description (architecture and training facts).</summary>
    public ModelDescription Description { get; }

    /// <summary>Throws <see cref="ModelMismatchException"/> when a header names another model.</summary>
    public void EnsureMatches(VqcHeader header) => ModelBundle.EnsureMatches(header, Id, Hash);

    /// <summary>Releases the network's native memory.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the network when <paramref name="disposing"/>.</summary>
    protected abstract void Dispose(bool disposing);

    /// <summary>True when the library embeds the file <c>{id}{extension}</c> (a model file by default).</summary>
    private protected static bool IsEmbedded(string id, string extension = ".vqm") =>
        typeof(LoadedModel).Assembly.GetManifestResourceInfo("VqCodec.Models." + id + extension) is not null;

    /// <summary>Reads a whole model file from <paramref name="stream"/> and checks its kind.</summary>
    /// <exception cref="VqcFormatException">Not a model file.</exception>
    /// <exception cref="ModelMismatchException">A model of another kind.</exception>
    internal static (ModelBundle Bundle, byte[] Hash) ReadBundle(Stream stream, string kind, Func<ModelDescription, bool> hasConfig)
    {
        ArgumentNullException.ThrowIfNull(stream);
        (ModelBundle bundle, byte[] hash) = ModelBundle.Parse(ReadAll(stream));
        if (bundle.Description.Kind != kind || !hasConfig(bundle.Description))
        {
            throw new ModelMismatchException($"model '{bundle.Description.Id}' is a {bundle.Description.Kind} model, not {(kind == "image" ? "an" : "a")} {kind} model", bundle.Description.Id, kind);
        }

        return (bundle, hash);
    }

    /// <summary>The rest of <paramref name="stream"/> in one array (sized up front when the stream can seek: a model file is tens of MB).</summary>
    internal static byte[] ReadAll(Stream stream)
    {
        if (stream.CanSeek)
        {
            var data = new byte[checked((int)(stream.Length - stream.Position))];
            stream.ReadExactly(data);
            return data;
        }

        var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>A model bundle with the network's weights stored as float16.</summary>
    internal static byte[] SerializeHalf(torch.nn.Module network, ModelDescription description, TokenPriors? priors)
    {
        network.to(torch.ScalarType.Float16);
        var state = new MemoryStream();
        network.save(state);
        network.to(torch.ScalarType.Float32);
        return ModelBundle.Serialize(description, priors, state.ToArray());
    }

    internal static void LoadHalfState(torch.nn.Module network, byte[] state)
    {
        NativeRuntime.Prepare();
        network.to(torch.ScalarType.Float16);
        network.load(new MemoryStream(state));
        network.to(torch.ScalarType.Float32);

        // Loaded models are inference-only and shared between threads: nothing may record gradients into them
        // (encoder-side latent refinement differentiates through the decoder with respect to the latent only).
        foreach (var parameter in network.parameters())
        {
            parameter.requires_grad = false;
        }
    }

    internal static Stream OpenEmbedded(string name)
    {
        Assembly asm = typeof(LoadedModel).Assembly;
        return asm.GetManifestResourceStream("VqCodec.Models." + name)
            ?? throw new InvalidOperationException($"this build of VqCodec.Codec has no embedded model '{name}'");
    }
}
