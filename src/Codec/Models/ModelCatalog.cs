using System.Reflection;
using VqCodec.Container;

namespace VqCodec.Codec.Models;

/// <summary>
/// The models embedded in this library, readable without loading a network: used to find the token
/// priors a .vqc header names (for token export and verification without TorchSharp inference).
/// </summary>
public static class ModelCatalog
{
    private static readonly Lazy<IReadOnlyList<(string Id, byte[] Hash, TokenPriors? Priors)>> Entries = new(Scan);

    /// <summary>Ids and hashes of the embedded models.</summary>
    public static IReadOnlyList<(string Id, byte[] Hash, TokenPriors? Priors)> Embedded => Entries.Value;

    /// <summary>The embedded priors whose hash the header names, or null.</summary>
    public static TokenPriors? FindPriors(VqcHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        return TokenPriors.Resolver(Entries.Value.Select(e => e.Priors))(header);
    }

    /// <summary>Token priors and id of a model file, read without loading its network.</summary>
    /// <exception cref="VqcFormatException">Not a model file.</exception>
    public static (string Id, byte[] Hash, TokenPriors? Priors) ReadFile(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        (ModelBundle bundle, byte[] hash) = ModelBundle.Parse(LoadedModel.ReadAll(stream));
        return (bundle.Description.Id, hash, bundle.Priors);
    }

    private static IReadOnlyList<(string, byte[], TokenPriors?)> Scan()
    {
        Assembly asm = typeof(ModelCatalog).Assembly;
        var list = new List<(string, byte[], TokenPriors?)>();
        foreach (string name in asm.GetManifestResourceNames().Where(n => n.StartsWith("VqCodec.Models.", StringComparison.Ordinal) && n.EndsWith(".vqm", StringComparison.Ordinal)))
        {
            using Stream s = asm.GetManifestResourceStream(name)!;
            (string id, byte[] hash, TokenPriors? priors) = ReadFile(s);
            list.Add((id, hash, priors));

            // A companion priors file {id}.vqpr (the model's tables plus a learned context prior) names the same model.
            if (asm.GetManifestResourceStream(name[..^4] + ".vqpr") is { } companion)
            {
                using (companion)
                {
                    list.Add((id, hash, TokenPriors.Deserialize(LoadedModel.ReadAll(companion))));
                }
            }
        }

        return list;
    }
}
