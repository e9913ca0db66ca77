using VqCodec.Codec.Models;
using VqCodec.Codec.Speech;
using VqCodec.Container;

namespace VqCodec.Codec.Training;

/// <summary>
/// Turns a speech training checkpoint into a shipped model file: loads the weights, estimates per-level
/// token priors by encoding training signals (never the validation set), and writes the .vqm bundle.
/// </summary>
public static class SpeechModelExporter
{
    /// <summary>Returns the .vqm bytes.</summary>
    public static byte[] Export(string checkpointDirectory, IReadOnlyList<float[]> priorSignals, string id, IReadOnlyDictionary<string, string> training, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(priorSignals);
        (SpeechModelConfig config, int step, string weights) = TrainingSupport.ReadCheckpoint<SpeechModelConfig>(checkpointDirectory);
        var facts = new Dictionary<string, string>(training) { ["steps"] = step.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        byte[] plain = SpeechModel.BundleFromCheckpoint(weights, config, id, null, facts);
        using SpeechModel model = SpeechModel.Load(new MemoryStream(plain));
        var counts = Enumerable.Range(0, config.Levels).Select(_ => new long[config.CodebookSize]).ToList();
        for (int i = 0; i < priorSignals.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int[][] tokens = SpeechCodec.EncodeTokens(model, priorSignals[i]);
            for (int l = 0; l < tokens.Length; l++)
            {
                foreach (int t in tokens[l])
                {
                    counts[l][t]++;
                }
            }

            progress?.Report(new TrainingProgress(i + 1, priorSignals.Count, null));
        }

        TokenPriors priors = TokenPriors.FromCounts(counts);
        facts["priors"] = $"token counts of {priorSignals.Count} training signals";
        return SpeechModel.BundleFromCheckpoint(weights, config, id, priors, facts);
    }
}
