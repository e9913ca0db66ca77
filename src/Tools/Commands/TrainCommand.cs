using System.CommandLine;
using VqCodec.Codec.Image;
using VqCodec.Codec.Models;
using VqCodec.Codec.Speech;
using VqCodec.Codec.Training;
using VqCodec.Container;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc train image|speech`: trains a model with checkpoints and resume.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var command = new Command("train", "Train a model (runs for hours on a CPU; resumable).");
        command.Add(CreateImage());
        command.Add(CreatePrior());
        command.Add(CreateSpeech());
        command.Add(CreateRestorer());
        return command;
    }

    private static Command CreateSpeech()
    {
        var data = new Option<string[]>("--data") { Description = "Training audio folders (WAV; FLAC and other formats through ffmpeg).", DefaultValueFactory = _ => ["../shared/data/speech/train"], AllowMultipleArgumentsPerToken = true };
        var valid = new Option<string>("--valid") { Description = "Validation audio folder.", DefaultValueFactory = _ => "../shared/data/speech/valid" };
        var output = new Option<string>("--out", "-o") { Description = "Run folder for checkpoints and logs.", DefaultValueFactory = _ => "runs/speech" };
        var steps = new Option<int>("--steps") { Description = "Total training steps.", DefaultValueFactory = _ => 8000 };
        var batch = new Option<int>("--batch") { Description = "Clips per batch.", DefaultValueFactory = _ => 12 };
        var clip = new Option<int>("--clip-frames") { Description = "Clip length in token frames (20 ms each).", DefaultValueFactory = _ => 64 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => 6e-4 };
        var warmup = new Option<int>("--warmup") { Description = "Autoencoder-only steps before k-means codebook init.", DefaultValueFactory = _ => 300 };
        var levels = new Option<int>("--levels") { Description = "RVQ levels.", DefaultValueFactory = _ => 16 };
        var codebook = new Option<int>("--codebook") { Description = "Codewords per level.", DefaultValueFactory = _ => 1024 };
        var latent = new Option<int>("--latent-dim") { Description = "Latent/code dimension.", DefaultValueFactory = _ => 64 };
        var fine = new Option<int>("--fine-width") { Description = "Channels at 100 frames/s.", DefaultValueFactory = _ => 192 };
        var coarse = new Option<int>("--coarse-width") { Description = "Channels at 50 frames/s.", DefaultValueFactory = _ => 384 };
        var beta = new Option<double>("--beta") { Description = "Commitment loss weight.", DefaultValueFactory = _ => 0.02 };
        var compressed = new Option<double>("--compressed-weight") { Description = "Power-law compressed magnitude/phase spectral loss weight.", DefaultValueFactory = _ => 0 };
        var intelligibility = new Option<double>("--stoi-weight") { Description = "Differentiable STOI-style band-envelope correlation loss weight.", DefaultValueFactory = _ => 0 };
        var wave = new Option<double>("--waveform-weight") { Description = "Waveform L1 loss weight.", DefaultValueFactory = _ => 1.0 };
        var compressedPhase = new Option<double>("--compressed-phase-weight") { Description = "Weight of the complex (phase) part of the compressed loss.", DefaultValueFactory = _ => 0.3 };
        var fineStft = new Option<double>("--fine-stft-weight") { Description = "Fine-resolution (1024/2048-point) log-magnitude loss weight: resolves harmonics.", DefaultValueFactory = _ => 0 };
        var cumulative = new Option<bool>("--cumulative-phase") { Description = "Phase-continuous synthesis (v2): the decoder predicts each bin's phase advance." };
        var initFrom = new Option<string?>("--init-from") { Description = "Start a new run from the weights of this model file (.vqm), after the warm-up." };
        var nsvq = new Option<bool>("--nsvq") { Description = "Use the noise-substitution gradient estimator instead of straight-through." };
        var gan = new Option<double>("--gan-weight") { Description = "Adversarial loss weight (log-mel patch discriminator; 0 = off).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1234 };
        var threads = new Option<int>("--threads") { Description = "Torch threads (0 = all cores).", DefaultValueFactory = _ => 0 };
        var validateEvery = new Option<int>("--validate-every") { DefaultValueFactory = _ => 500 };
        var stopAt = new Option<int?>("--stop-at") { Description = "Stop at this step (checkpointed) without changing the learning-rate schedule; resume later." };
        var command = new Command("speech", "Train the speech RVQ model (16 kHz mono).")
        {
            data, valid, output, steps, batch, clip, lr, warmup, levels, codebook, latent, fine, coarse, beta, compressed, intelligibility, wave, compressedPhase, fineStft, cumulative, initFrom, nsvq, gan, seed, threads, validateEvery, stopAt,
        };
        command.SetAction((parse, token) =>
        {
            string[] dataDirs = parse.GetValue(data)!.Select(d => InputFiles.RequireFolder(d, "training data")).ToArray();
            string validDir = InputFiles.RequireFolder(parse.GetValue(valid)!, "validation data");
            var log = new ConsoleProgress("train speech");
            List<float[]> train = InputFiles.Expand(dataDirs, AudioFiles.Extensions).Select(f => AudioFiles.ReadMono(f, 16000)).ToList();
            List<float[]> validSignals = InputFiles.Expand([validDir], AudioFiles.Extensions).Select(f => AudioFiles.ReadMono(f, 16000)).ToList();
            log.Message($"loaded {train.Count} training ({train.Sum(t => t.Length) / 16000.0 / 60:F1} min) and {validSignals.Count} validation files");
            var options = new SpeechTrainingOptions
            {
                OutputDirectory = parse.GetValue(output)!,
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batch),
                ClipFrames = parse.GetValue(clip),
                LearningRate = parse.GetValue(lr),
                WarmupSteps = parse.GetValue(warmup),
                Model = new SpeechModelConfig
                {
                    Levels = parse.GetValue(levels), CodebookSize = parse.GetValue(codebook), LatentDim = parse.GetValue(latent),
                    FineWidth = parse.GetValue(fine), CoarseWidth = parse.GetValue(coarse), CumulativePhase = parse.GetValue(cumulative),
                },
                CompressedPhaseWeight = parse.GetValue(compressedPhase),
                FineStftWeight = parse.GetValue(fineStft),
                InitFrom = parse.GetValue(initFrom),
                Estimator = parse.GetValue(nsvq) ? GradientEstimator.NoiseSubstitution : GradientEstimator.StraightThrough,
                GanWeight = parse.GetValue(gan),
                CommitmentWeight = parse.GetValue(beta),
                WaveformWeight = parse.GetValue(wave),
                CompressedWeight = parse.GetValue(compressed),
                IntelligibilityWeight = parse.GetValue(intelligibility),
                StopAt = parse.GetValue(stopAt),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                ValidateEvery = parse.GetValue(validateEvery),
            };
            new SpeechTrainer(options, train, validSignals, Progress(log)).Run(token);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static SyncProgress<TrainingProgress> Progress(ConsoleProgress log) => new(p =>
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

    private static Command CreatePrior()
    {
        var kind = new Option<string>("--kind") { Description = "speech (a sequence prior over frames) or image (a grid prior over token positions).", DefaultValueFactory = _ => "speech" };
        kind.AcceptOnlyFromAmong("speech", "image");
        var data = new Option<string[]?>("--data") { Description = "Training folders (default: ../shared/data/speech/train and train_more, or ../shared/data/images/train and train_lossless).", AllowMultipleArgumentsPerToken = true };
        var valid = new Option<string?>("--valid") { Description = "Validation folder (default: ../shared/data/speech/valid or ../shared/data/images/valid)." };
        var output = new Option<string>("--out", "-o") { Description = "Run folder for checkpoints, the token cache and logs.", DefaultValueFactory = _ => "runs/prior" };
        var steps = new Option<int>("--steps") { Description = "Total training steps.", DefaultValueFactory = _ => 4000 };
        var batch = new Option<int>("--batch") { Description = "Segments (or image crops) per batch.", DefaultValueFactory = _ => 16 };
        var segment = new Option<int>("--segment-frames") { Description = "Frames per training segment (the context restarts at each); for images the side of the token-grid crops.", DefaultValueFactory = _ => 50 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => 2e-3 };
        var width = new Option<int>("--width") { Description = "Hidden width.", DefaultValueFactory = _ => 128 };
        var context = new Option<int>("--context") { Description = "Previous frames (speech) or causal neighbours W, N, NW, NE, WW, NN (image, at most 6) the prior sees.", DefaultValueFactory = _ => 4 };
        var residual = new Option<bool>("--residual") { Description = "Residual hidden layer (h = relu(B u) + u)." };
        var dropout = new Option<double>("--dropout") { Description = "Dropout while training (0 = none).", DefaultValueFactory = _ => 0.0 };
        var codebookInit = new Option<bool>("--codebook-init") { Description = "Start from the model's codebooks (needs --residual and a width of at least twice the latent)." };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1234 };
        var threads = new Option<int>("--threads") { Description = "Torch threads (0 = all cores).", DefaultValueFactory = _ => 0 };
        var validateEvery = new Option<int>("--validate-every") { DefaultValueFactory = _ => 250 };
        var stopAt = new Option<int?>("--stop-at") { Description = "Stop at this step (checkpointed) without changing the learning-rate schedule; resume later." };
        var modelOption = ModelOptions.ImageModelOption();
        var command = new Command("prior", "Train the learned token prior (context model for entropy coding) of the speech or image model.")
        {
            kind, data, valid, output, steps, batch, segment, lr, width, context, residual, codebookInit, dropout, seed, threads, validateEvery, stopAt, modelOption,
        };
        command.SetAction((parse, token) =>
        {
            bool image = parse.GetValue(kind) == "image";
            string[] dataDirs = (parse.GetValue(data) is { Length: > 0 } given ? given : (image ? ["../shared/data/images/train", "../shared/data/images/train_lossless"] : ["../shared/data/speech/train", "../shared/data/speech/train_more"]))
                .Select(d => InputFiles.RequireFolder(d, "training data")).ToArray();
            string validDir = InputFiles.RequireFolder(parse.GetValue(valid) ?? (image ? "../shared/data/images/valid" : "../shared/data/speech/valid"), "validation data");
            var log = new ConsoleProgress("train prior");
            PriorTrainingOptions Options(int levels, int codebookSize) => new()
            {
                OutputDirectory = parse.GetValue(output)!,
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batch),
                SegmentFrames = parse.GetValue(segment),
                LearningRate = parse.GetValue(lr),
                Model = new ContextPriorConfig
                {
                    Levels = levels, CodebookSize = codebookSize, Width = parse.GetValue(width), ContextFrames = parse.GetValue(context), Residual = parse.GetValue(residual),
                    Layout = image ? ContextLayout.Grid : ContextLayout.Sequence,
                },
                CodebookInit = parse.GetValue(codebookInit),
                Dropout = parse.GetValue(dropout),
                StopAt = parse.GetValue(stopAt),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                ValidateEvery = parse.GetValue(validateEvery),
            };
            PriorTrainer trainer;
            if (image)
            {
                List<RgbImage> train = InputFiles.Expand(dataDirs, ImageFiles.Extensions).Select(f => ImageFiles.Load(f)).ToList();
                List<RgbImage> validImages = InputFiles.Expand([validDir], ImageFiles.Extensions).Select(f => ImageFiles.Load(f)).ToList();
                log.Message($"loaded {train.Count} training ({train.Sum(i => (long)i.Width * i.Height) / 1e6:F1} Mpixel) and {validImages.Count} validation images");
                ImageModel model = ModelOptions.LoadImage(parse.GetValue(modelOption));
                trainer = new PriorTrainer(model, Options(model.Config.Levels, model.Config.CodebookSize), train, validImages, Progress(log));
            }
            else
            {
                List<float[]> train = InputFiles.Expand(dataDirs, AudioFiles.Extensions).Select(f => AudioFiles.ReadMono(f, 16000)).ToList();
                List<float[]> validSignals = InputFiles.Expand([validDir], AudioFiles.Extensions).Select(f => AudioFiles.ReadMono(f, 16000)).ToList();
                log.Message($"loaded {train.Count} training ({train.Sum(t => t.Length) / 16000.0 / 60:F1} min) and {validSignals.Count} validation files");
                SpeechModel model = ModelOptions.LoadSpeech(parse.GetValue(modelOption));
                trainer = new PriorTrainer(model, Options(model.Config.Levels, model.Config.CodebookSize), train, validSignals, Progress(log));
            }

            trainer.Run(token);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command CreateRestorer()
    {
        var data = new Option<string[]>("--data") { Description = "Training image folders (clean targets).", DefaultValueFactory = _ => ["../shared/data/images/train_lossless"], AllowMultipleArgumentsPerToken = true };
        var dataHalf = new Option<string[]>("--data-half") { Description = "Training image folders reduced 2x first (takes JPEG artefacts out of the targets).", DefaultValueFactory = _ => ["../shared/data/images/train"], AllowMultipleArgumentsPerToken = true };
        var valid = new Option<string>("--valid") { Description = "Validation images folder.", DefaultValueFactory = _ => "../shared/data/images/valid" };
        var output = new Option<string>("--out", "-o") { Description = "Run folder for checkpoints and logs.", DefaultValueFactory = _ => "runs/restore" };
        var steps = new Option<int>("--steps") { Description = "Total training steps.", DefaultValueFactory = _ => 6000 };
        var batch = new Option<int>("--batch") { Description = "Crops per batch.", DefaultValueFactory = _ => 12 };
        var crop = new Option<int>("--crop") { Description = "Crop size (multiple of 8).", DefaultValueFactory = _ => 96 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => 1e-3 };
        var width = new Option<int>("--width") { Description = "Channels at half resolution.", DefaultValueFactory = _ => 32 };
        var blocks = new Option<int>("--blocks") { Description = "Residual blocks.", DefaultValueFactory = _ => 3 };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1234 };
        var threads = new Option<int>("--threads") { Description = "Torch threads (0 = all cores).", DefaultValueFactory = _ => 0 };
        var validateEvery = new Option<int>("--validate-every") { DefaultValueFactory = _ => 250 };
        var stopAt = new Option<int?>("--stop-at") { Description = "Stop at this step (checkpointed) without changing the learning-rate schedule; resume later." };
        var blockWeight = new Option<double>("--block-weight") { Description = "Weight of the blockiness penalty (distance between the restored crop's blockiness and the source's; 0 = pixel MSE only)." };
        var ssimWeight = new Option<double>("--ssim-weight") { Description = "Weight of 1 - SSIM of the luma at full and half resolution (0 = off)." };
        var modelOption = ModelOptions.ImageModelOption();
        var command = new Command("restore", "Train the decoder-side restoration network of the image model (the detail layer in the loop).")
        {
            data, dataHalf, valid, output, steps, batch, crop, lr, width, blocks, seed, threads, validateEvery, stopAt, blockWeight, ssimWeight, modelOption,
        };
        command.SetAction((parse, token) =>
        {
            string validDir = InputFiles.RequireFolder(parse.GetValue(valid)!, "validation data");
            var log = new ConsoleProgress("train restore");
            var train = new List<RgbImage>();
            foreach (string dir in parse.GetValue(data)!)
            {
                train.AddRange(InputFiles.Expand([InputFiles.RequireFolder(dir, "training data")], ImageFiles.Extensions).Select(f => ImageFiles.Load(f)));
            }

            foreach (string dir in parse.GetValue(dataHalf)!)
            {
                train.AddRange(InputFiles.Expand([InputFiles.RequireFolder(dir, "training data")], ImageFiles.Extensions).Select(f => ImageFiles.LoadReduced(f, 2)));
            }

            List<RgbImage> validImages = InputFiles.Expand([validDir], ImageFiles.Extensions).Select(ImageFiles.Load).ToList();
            log.Message($"loaded {train.Count} training images ({train.Sum(i => (long)i.Width * i.Height) / 1e6:F1} Mpixel) and {validImages.Count} validation images");
            ImageModel baseModel = ModelOptions.LoadImage(parse.GetValue(modelOption));
            var options = new RestorerTrainingOptions
            {
                OutputDirectory = parse.GetValue(output)!,
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batch),
                CropSize = parse.GetValue(crop),
                LearningRate = parse.GetValue(lr),
                Model = new RestorerConfig { Width = parse.GetValue(width), Blocks = parse.GetValue(blocks) },
                BlockinessWeight = parse.GetValue(blockWeight),
                SsimWeight = parse.GetValue(ssimWeight),
                StopAt = parse.GetValue(stopAt),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                ValidateEvery = parse.GetValue(validateEvery),
            };
            new RestorerTrainer(baseModel, options, train, validImages, Progress(log)).Run(token);
            return Task.FromResult(ExitCodes.Success);
        });
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
        var widths = new Option<int[]>("--widths") { Description = "Channels at 1/4, 1/8 and 1/16 resolution.", DefaultValueFactory = _ => [64, 128, 192], AllowMultipleArgumentsPerToken = true };
        var stageBlocks = new Option<int>("--stage-blocks") { Description = "Residual blocks at the 1/4 and 1/8 stages.", DefaultValueFactory = _ => 1 };
        var bottleneckBlocks = new Option<int>("--bottleneck-blocks") { Description = "Residual blocks at the 1/16 stage.", DefaultValueFactory = _ => 2 };
        var stopAt = new Option<int?>("--stop-at") { Description = "Stop at this step (checkpointed) without changing the learning-rate schedule; resume later." };
        var command = new Command("image", "Train the image VQ-VAE.")
        {
            data, valid, output, steps, batch, crop, lr, warmup, levels, codebook, latent, widths, stageBlocks, bottleneckBlocks, beta, nsvq, gan, seed, threads, validateEvery, stopAt,
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
                Model = new ImageModelConfig
                {
                    Levels = parse.GetValue(levels),
                    CodebookSize = parse.GetValue(codebook),
                    LatentDim = parse.GetValue(latent),
                    Widths = parse.GetValue(widths)!,
                    StageBlocks = parse.GetValue(stageBlocks),
                    BottleneckBlocks = parse.GetValue(bottleneckBlocks),
                },
                StopAt = parse.GetValue(stopAt),
                Estimator = parse.GetValue(nsvq) ? GradientEstimator.NoiseSubstitution : GradientEstimator.StraightThrough,
                GanWeight = parse.GetValue(gan),
                CommitmentWeight = parse.GetValue(beta),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                ValidateEvery = parse.GetValue(validateEvery),
            };
            new ImageTrainer(options, train, validImages, Progress(log)).Run(token);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
