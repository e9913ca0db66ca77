using VqCodec.Codec.Models;
using VqCodec.Codec.Speech;
using VqCodec.Codec.Training;
using VqCodec.Container;

namespace VqCodec.Codec.Tests;

public class SpeechTrainingTests
{
    [Fact]
    public void TrainsStopsResumesAndExportsAModelThatCodes()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vqc-speech-train-" + Guid.NewGuid().ToString("N"));
        var config = new SpeechModelConfig { FineWidth = 8, CoarseWidth = 16, FineDilations = [1], CoarseDilations = [1], LatentDim = 4, Levels = 2, CodebookSize = 16 };
        var train = Enumerable.Range(0, 3).Select(i => TinyModels.Voice(2.0, seed: i)).ToList();
        var valid = new List<float[]> { TinyModels.Voice(4.2, seed: 9) };
        var messages = new List<string>();
        var progress = new SyncProgressForTests(p => { if (p.Message is not null) messages.Add(p.Message); });
        SpeechTrainingOptions Options(int? stopAt) => new()
        {
            OutputDirectory = dir, Model = config, Steps = 6, StopAt = stopAt, BatchSize = 2, ClipFrames = 8, WarmupSteps = 3,
            ValidateEvery = 5, ValidationLevels = [1, 2], CompressedWeight = 1, IntelligibilityWeight = 1, Threads = 1,
        };
        try
        {
            new SpeechTrainer(Options(4), train, valid, progress).Run();
            Assert.Contains("\"Step\":4", File.ReadAllText(Path.Combine(dir, "checkpoint", "state.json")));
            Assert.Contains(messages, m => m.StartsWith("k-means initialised 2 levels", StringComparison.Ordinal));
            new SpeechTrainer(Options(null), train, valid, progress).Run();
            Assert.Contains(messages, m => m == "resumed from step 4");
            Assert.Contains(messages, m => m.StartsWith("valid (1 clips x 4 s): L1", StringComparison.Ordinal));
            Assert.Contains("\"Step\":6", File.ReadAllText(Path.Combine(dir, "checkpoint", "state.json")));

            byte[] bundle = SpeechModelExporter.Export(Path.Combine(dir, "checkpoint"), train, "trained-tiny", new Dictionary<string, string>());
            using SpeechModel model = SpeechModel.Load(new MemoryStream(bundle));
            Assert.Equal(("trained-tiny", "6"), (model.Id, model.Description.Training["steps"]));
            Assert.NotNull(model.Priors);
            var file = new MemoryStream();
            SpeechCodec.Encode(model, valid[0], 16000, file);
            Assert.All(ReadModes(file.ToArray(), model), m => Assert.Equal(TokenCodingMode.RansStaticJoint, m));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void LossesAreZeroForIdenticalSignalsAndGrowWithDistortion()
    {
        using var losses = new SpeechLosses(16000);
        float[] x = TinyModels.Voice(1.5);
        var rng = new Random(2);
        float[] noisy = x.Select(v => v + (0.05f * (float)((rng.NextDouble() * 2) - 1))).ToArray();
        float[] noisier = x.Select(v => v + (0.2f * (float)((rng.NextDouble() * 2) - 1))).ToArray();
        using var tx = TorchSharp.torch.tensor(x, [1, x.Length]);
        using var t1 = TorchSharp.torch.tensor(noisy, [1, x.Length]);
        using var t2 = TorchSharp.torch.tensor(noisier, [1, x.Length]);
        foreach (Func<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> loss in new Func<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>[] { losses.Mel, losses.Stft, losses.FineStft, (a, b) => losses.Compressed(a, b), (a, b) => losses.Compressed(a, b, 0), losses.Intelligibility })
        {
            float same = loss(tx, tx).item<float>(), a = loss(tx, t1).item<float>(), b = loss(tx, t2).item<float>();
            Assert.True(Math.Abs(same) < 1e-4, $"identical: {same}");
            Assert.True(a > 1e-3 && b > a, $"{a} then {b}");
        }
    }

    private static List<TokenCodingMode> ReadModes(byte[] file, SpeechModel model)
    {
        using var reader = new VqcReader(new MemoryStream(file), _ => model.Priors);
        var modes = new List<TokenCodingMode>();
        while (reader.GetNextPlane() is { } p)
        {
            modes.Add(p.Mode);
        }

        return modes;
    }

    private sealed class SyncProgressForTests(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
