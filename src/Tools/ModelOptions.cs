using System.CommandLine;
using VqCodec.Codec.Image;
using VqCodec.Codec.Speech;
using VqCodec.Codec.Models;
using VqCodec.Container;

namespace VqCodec.Tools;

/// <summary>The --model option and model loading shared by the verbs that run a network.</summary>
internal static class ModelOptions
{
    public static Option<string?> ImageModelOption() => new("--model") { Description = "Model file (.vqm); default: the pretrained model embedded in vqc." };

    public static ImageModel LoadImage(string? path)
    {
        if (path is null)
        {
            if (!ImageModel.HasPretrained)
            {
                throw new CliException("this build has no embedded pretrained image model; pass --model FILE.vqm");
            }

            return ImageModel.LoadPretrained();
        }

        if (!File.Exists(path))
        {
            throw new CliException($"{path}: no such model file", ExitCodes.IoError);
        }

        using var s = File.OpenRead(path);
        return ImageModel.Load(s);
    }

    public static SpeechModel LoadSpeech(string? path)
    {
        if (path is null)
        {
            if (!SpeechModel.HasPretrained)
            {
                throw new CliException("this build has no embedded pretrained speech model; pass --model FILE.vqm");
            }

            return SpeechModel.LoadPretrained();
        }

        if (!File.Exists(path))
        {
            throw new CliException($"{path}: no such model file", ExitCodes.IoError);
        }

        using var s = File.OpenRead(path);
        return SpeechModel.Load(s);
    }

    /// <summary>Priors for a header from the embedded models (no network is loaded).</summary>
    public static TokenPriors? PriorsFor(VqcHeader header) => ModelCatalog.FindPriors(header);

    /// <summary>A resolver that also looks in a model file given with --model.</summary>
    public static Func<VqcHeader, TokenPriors?> PriorsResolver(string? modelPath)
    {
        TokenPriors? extra = null;
        if (modelPath is not null)
        {
            if (!File.Exists(modelPath))
            {
                throw new CliException($"{modelPath}: no such model file", ExitCodes.IoError);
            }

            using var s = File.OpenRead(modelPath);
            extra = ModelCatalog.ReadFile(s).Priors;
        }

        return h => extra is not null && extra.Hash.AsSpan().SequenceEqual(h.PriorsHash) ? extra : ModelCatalog.FindPriors(h);
    }
}
