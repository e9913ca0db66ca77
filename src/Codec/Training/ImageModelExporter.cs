using VqCodec.Codec.Image;
using VqCodec.Codec.Models;
using VqCodec.Container;

namespace VqCodec.Codec.Training;

/// <summary>
/// Turns a training checkpoint into a shipped model file: loads the weights, estimates per-level token
/// priors by encoding the training images (never the validation set), and writes the .vqm bundle.
/// </summary>
public static class ImageModelExporter
{
    /// <summary>Returns the .vqm bytes.</summary>
    public static byte[] Export(string checkpointDirectory, IReadOnlyList<RgbImage> priorImages, string id, IReadOnlyDictionary<string, string> training, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        (ImageModelConfig config, int step, string weights) = TrainingSupport.ReadCheckpoint<ImageModelConfig>(checkpointDirectory);
        var facts = new Dictionary<string, string>(training) { ["steps"] = step.ToString(System.Globalization.CultureInfo.InvariantCulture) };

        // First pass without priors: a temporary bundle gives a loaded model to count tokens with.
        byte[] plain = ImageModel.BundleFromCheckpoint(weights, config, id, null, facts);
        using ImageModel model = ImageModel.Load(new MemoryStream(plain));
        var counts = Enumerable.Range(0, config.Levels).Select(_ => new long[config.CodebookSize]).ToList();
        for (int i = 0; i < priorImages.Count; i++)
        {
            int[][] tokens = ImageTiling.EncodeTokens(model, priorImages[i], config.Levels, ImageEncodeOptions.DefaultTileSize, cancellationToken);
            for (int l = 0; l < tokens.Length; l++)
            {
                foreach (int t in tokens[l])
                {
                    counts[l][t]++;
                }
            }

            progress?.Report(new TrainingProgress(i + 1, priorImages.Count, null));
        }

        TokenPriors priors = TokenPriors.FromCounts(counts);
        facts["priors"] = $"token counts of {priorImages.Count} training images";
        return ImageModel.BundleFromCheckpoint(weights, config, id, priors, facts);
    }
}
