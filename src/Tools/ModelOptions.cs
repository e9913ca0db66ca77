using System.CommandLine;
using VqCodec.Codec.Image;
using VqCodec.Codec.Speech;
using VqCodec.Codec.Models;
using VqCodec.Container;

namespace VqCodec.Tools;

/// <summary>The options shared by the verbs that run a network (--model, --tile) and model loading.</summary>
internal static class ModelOptions
{
    /// <summary>
    /// `--tile N` for images, defaulting to <paramref name="defaultSize"/>; a size the codec's options refuse is a usage
    /// error before any work (the rule is the library's own, <see cref="ImageDecodeOptions.TileSize"/>).
    /// </summary>
    public static Option<int> TileOption(int defaultSize)
    {
        var tile = new Option<int>("--tile") { Description = $"Images: tile side in pixels (a multiple of 16, 128..4096) that bounds memory; larger tiles recompute less context at the tile edges, and a side of at most 1.5 tiles is one tile (default {defaultSize}).", DefaultValueFactory = _ => defaultSize };
        tile.Validators.Add(r =>
        {
            try
            {
                _ = new ImageDecodeOptions { TileSize = r.GetValue(tile) };
            }
            catch (ArgumentOutOfRangeException)
            {
                r.AddError("--tile must be a multiple of 16 in 128..4096");
            }
        });
        return tile;
    }

    public static Option<string?> ImageModelOption() => new("--model") { Description = "Model file (.vqm); default: the pretrained model embedded in vqc." };

    public static ImageModel LoadImage(string? path) =>
        Load(path, "image", ImageModel.HasPretrained, ImageModel.LoadPretrained, s => ImageModel.Load(s));

    public static SpeechModel LoadSpeech(string? path) =>
        Load(path, "speech", SpeechModel.HasPretrained, SpeechModel.LoadPretrained, SpeechModel.Load);

    /// <summary>The model file given with --model, or else the embedded pretrained model of that kind.</summary>
    private static T Load<T>(string? path, string kind, bool hasPretrained, Func<T> pretrained, Func<Stream, T> load)
    {
        if (path is null)
        {
            if (!hasPretrained)
            {
                throw new CliException($"this build has no embedded pretrained {kind} model; pass --model FILE.vqm");
            }

            return pretrained();
        }

        if (!File.Exists(path))
        {
            throw new CliException($"{path}: no such model file", ExitCodes.IoError);
        }

        using var s = File.OpenRead(path);
        return load(s);
    }

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

        return TokenPriors.Resolver([extra, .. ModelCatalog.Embedded.Select(e => e.Priors)]);
    }
}
