using System.CommandLine;
using VqCodec.Codec.Image;
using VqCodec.Codec.Models;
using VqCodec.Codec.Training;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc train image|speech`: trains a model with checkpoints and resume.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var command = new Command("train", "Train a model (runs for hours on a CPU; resumable).");
        command.Add(CreateImage());
        return command;
    }

    private static Command CreateImage()
    {
        var data = new Option<string>("--data") { Description = "Training images folder.", DefaultValueFactory = _ => "../shared/data/images/train" };
        var valid = new Option<string>("--valid") { Description = "Validation images folder.", DefaultValueFactory = _ => "../shared/data/images/valid" };
        var output = new Option<string>("--out", "-o") { Description = "Run folder for checkpoints and logs.", DefaultValueFactory = _ => "runs/image" };
        var steps = new Option<int>("--steps") { Description = "Total training steps.", DefaultValueFactory = _ => 20000 };
        var batch = new Option<int>("--batch") { Description = "Crops per batch.", DefaultValueFactory = _ => 16 };
        var crop = new Option<int>("--crop") { Description = "Crop size (multiple of 16).", DefaultValueFactory = _ => 128 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => 4e-4 };
        var warmup = new Option<int>("--warmup") { Description = "Autoencoder-only steps before k-means codebook init.", DefaultValueFactory = _ => 400 };
        var levels = new Option<int>("--levels") { Description = "RVQ levels.", DefaultValueFactory = _ => 16 };
        var codebook = new Option<int>("--codebook") { Description = "Codewords per level.", DefaultValueFactory = _ => 1024 };
        var latent = new Option<int>("--latent-dim") { Description = "Latent/code dimension.", DefaultValueFactory = _ => 32 };
        var beta = new Option<double>("--beta") { Description = "Commitment loss weight.", DefaultValueFactory = _ => 0.02 };
        var nsvq = new Option<bool>("--nsvq") { Description = "Use the noise-substitution gradient estimator instead of straight-through." };
        var gan = new Option<double>("--gan-weight") { Description = "VQ-GAN adversarial loss weight (0 = off, the PSNR-tuned default).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1234 };
        var threads = new Option<int>("--threads") { Description = "Torch threads (0 = all cores).", DefaultValueFactory = _ => 0 };
        var validateEvery = new Option<int>("--validate-every") { DefaultValueFactory = _ => 500 };
        var command = new Command("image", "Train the image VQ-VAE.")
        {
            data, valid, output, steps, batch, crop, lr, warmup, levels, codebook, latent, beta, nsvq, gan, seed, threads, validateEvery,
        };
        command.SetAction((parse, token) =>
        {
            string dataDir = InputFiles.RequireFolder(parse.GetValue(data)!, "training data");
            string validDir = InputFiles.RequireFolder(parse.GetValue(valid)!, "validation data");
            var log = new ConsoleProgress("train image");
            List<RgbImage> train = InputFiles.Expand([dataDir], ImageFiles.Extensions).Select(ImageFiles.Load).ToList();
            List<RgbImage> validImages = InputFiles.Expand([validDir], ImageFiles.Extensions).Select(ImageFiles.Load).ToList();
            log.Message($"loaded {train.Count} training and {validImages.Count} validation images");
            var options = new ImageTrainingOptions
            {
                OutputDirectory = parse.GetValue(output)!,
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batch),
                CropSize = parse.GetValue(crop),
                LearningRate = parse.GetValue(lr),
                WarmupSteps = parse.GetValue(warmup),
                Model = new ImageModelConfig { Levels = parse.GetValue(levels), CodebookSize = parse.GetValue(codebook), LatentDim = parse.GetValue(latent) },
                Estimator = parse.GetValue(nsvq) ? GradientEstimator.NoiseSubstitution : GradientEstimator.StraightThrough,
                GanWeight = parse.GetValue(gan),
                CommitmentWeight = parse.GetValue(beta),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                ValidateEvery = parse.GetValue(validateEvery),
            };
            var progress = new SyncProgress<TrainingProgress>(p =>
            {
                if (p.Message is not null)
                {
                    log.Message(p.Message);
                }
                else
                {
                    log.Update(p.Step, p.TotalSteps);
                }
            });
            new ImageTrainer(options, train, validImages, progress).Run(token);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
