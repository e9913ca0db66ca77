using VqCodec.Codec.Image;
using VqCodec.Codec.Metrics;
using VqCodec.Codec.Models;
using VqCodec.Codec.Training;

namespace VqCodec.Codec.Tests;

public class ImageTrainingTests
{
    private static RgbImage Picture(int width, int height, int seed)
    {
        var rng = new Random(seed);
        var pixels = new byte[width * height * 3];
        double fx = 0.05 + (rng.NextDouble() * 0.1), fy = 0.05 + (rng.NextDouble() * 0.1);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    double v = 128 + (90 * Math.Sin((x * fx) + (c * 1.3))) * Math.Cos(y * fy) + rng.Next(-8, 9);
                    pixels[((y * width) + x) * 3 + c] = (byte)Math.Clamp(v, 0, 255);
                }
            }
        }

        return new RgbImage(width, height, pixels);
    }

    [Fact]
    public void TrainsStopsResumesValidatesAndExportsAModelThatCodes()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vqc-image-train-" + Guid.NewGuid().ToString("N"));
        var config = new ImageModelConfig { Widths = [8, 8, 16], StageBlocks = 2, BottleneckBlocks = 1, LatentDim = 8, Levels = 2, CodebookSize = 16 };
        var train = Enumerable.Range(0, 3).Select(i => Picture(48, 40, i)).ToList();
        var valid = new List<RgbImage> { Picture(272, 256, 9) };
        var messages = new List<string>();
        var progress = new SyncProgress(p => { if (p.Message is not null) messages.Add(p.Message); });
        ImageTrainingOptions Options(int? stopAt) => new()
        {
            OutputDirectory = dir, Model = config, Steps = 6, StopAt = stopAt, BatchSize = 2, CropSize = 32, WarmupSteps = 3,
            ValidateEvery = 5, ValidationLevels = [1, 2], Threads = 1,
        };
        try
        {
            new ImageTrainer(Options(4), train, valid, progress).Run();
            Assert.Contains("\"Step\":4", File.ReadAllText(Path.Combine(dir, "checkpoint", "state.json")));
            Assert.Contains(messages, m => m.StartsWith("k-means initialised 2 levels", StringComparison.Ordinal));
            Assert.Contains(messages, m => m.StartsWith("valid psnr", StringComparison.Ordinal) && m.Contains(" AE=", StringComparison.Ordinal) && m.Contains(" L2=", StringComparison.Ordinal));
            new ImageTrainer(Options(null), train, valid, progress).Run();
            Assert.Contains(messages, m => m == "resumed from step 4");
            Assert.Contains("\"Step\":6", File.ReadAllText(Path.Combine(dir, "checkpoint", "state.json")));

            byte[] bundle = ImageModelExporter.Export(Path.Combine(dir, "checkpoint"), train, "trained-tiny", new Dictionary<string, string>());
            using ImageModel model = ImageModel.Load(new MemoryStream(bundle));
            Assert.Equal(("trained-tiny", "6", 2), (model.Id, model.Description.Training["steps"], model.Config.StageBlocks));
            Assert.NotNull(model.Priors);
            var file = new MemoryStream();
            ImageCodec.Encode(model, valid[0], file);
            RgbImage back = ImageCodec.Decode(model, new MemoryStream(file.ToArray()));
            Assert.Equal((valid[0].Width, valid[0].Height), (back.Width, back.Height));
            Assert.True(ImageMetrics.Psnr(valid[0], back) > 5, "decoded image unrelated to the input");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
