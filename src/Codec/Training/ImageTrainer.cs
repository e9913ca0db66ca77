using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using VqCodec.Codec.Image;
using VqCodec.Codec.Models;
using static TorchSharp.torch;

namespace VqCodec.Codec.Training;

/// <summary>
/// Trains the image VQ-VAE on random crops with checkpoints and resume. Phase 1 (warm-up) trains the
/// autoencoder without quantization and collects latents; at the end of it every RVQ level is
/// initialised by k-means on the residuals; phase 2 trains with EMA codebooks, dead-code restart and
/// per-sample quantizer dropout (each crop uses a uniformly drawn prefix of the levels).
/// </summary>
public sealed class ImageTrainer
{
    private readonly ImageTrainingOptions _options;
    private readonly IReadOnlyList<RgbImage> _train;
    private readonly IReadOnlyList<RgbImage> _valid;
    private readonly IProgress<TrainingProgress>? _progress;

    /// <summary>Creates a trainer; does no work until <see cref="Run"/>.</summary>
    public ImageTrainer(ImageTrainingOptions options, IReadOnlyList<RgbImage> train, IReadOnlyList<RgbImage> valid, IProgress<TrainingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Count == 0)
        {
            throw new ArgumentException("No training images.", nameof(train));
        }

        if (train.Any(i => i.Width < options.CropSize || i.Height < options.CropSize))
        {
            throw new ArgumentException($"Every training image must be at least {options.CropSize} pixels on each side.", nameof(train));
        }

        _options = options;
        _train = train;
        _valid = valid;
        _progress = progress;
    }

    /// <summary>Path of the model weights in the last checkpoint.</summary>
    public string CheckpointModelPath => Path.Combine(_options.OutputDirectory, TrainingSupport.CheckpointName, "model.bin");

    /// <summary>Runs (or resumes) training to <see cref="ImageTrainingOptions.Steps"/>.</summary>
    /// <exception cref="TrainingDivergedException">The loss became non-finite or exploded.</exception>
    public void Run(CancellationToken cancellationToken = default)
    {
        if (_options.Threads > 0)
        {
            torch.set_num_threads(_options.Threads);
        }

        Directory.CreateDirectory(_options.OutputDirectory);
        torch.manual_seed(_options.Seed);
        TrainerState state = TrainingSupport.LoadState<TrainerState>(_options.OutputDirectory) ?? new TrainerState { Config = _options.Model };
        using var model = new ImageVqVae(state.Config);
        var parameters = model.parameters().ToList();
        using var optimizer = torch.optim.Adam(parameters, _options.LearningRate, beta1: 0.9, beta2: 0.99);
        PatchDiscriminator? disc = _options.GanWeight > 0 ? new PatchDiscriminator() : null;
        using var discOptimizer = disc is null ? null : torch.optim.Adam(disc.parameters(), _options.LearningRate, beta1: 0.5, beta2: 0.9);
        string ckpt = Path.Combine(_options.OutputDirectory, TrainingSupport.CheckpointName);
        if (state.Step > 0)
        {
            TrainingSupport.LoadCheckpoint(ckpt, model, optimizer, disc);

            Report(state.Step, $"resumed from step {state.Step}");
        }

        using Tensor validBatch = BuildValidationBatch();
        var collected = new List<Tensor>();
        var clock = Stopwatch.StartNew();
        int clockStep = state.Step;
        double emaLoss = double.NaN;
        int crop = _options.CropSize;
        int rowsPerBatch = _options.BatchSize * (crop / 16) * (crop / 16);
        model.train();
        int stop = Math.Min(_options.Steps, _options.StopAt ?? int.MaxValue);
        for (int step = state.Step; step < stop; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rng = new Random(HashCode.Combine(_options.Seed, step));
            using var generator = new Generator((ulong)HashCode.Combine(_options.Seed, step, 17));
            TrainingSupport.SetLearningRate(optimizer, CurrentLr(step));
            using var scope = NewDisposeScope();
            Tensor x = SampleBatch(rng);
            bool warm = step < _options.WarmupSteps;
            Tensor z = model.Encode(x);
            Tensor commit = torch.zeros(1);
            Tensor xHat;
            if (warm)
            {
                xHat = model.Decode(z);
                if (step >= _options.WarmupSteps - 32)
                {
                    collected.Add(ImageVqVae.ToRows(z).detach().clone().MoveToOuterDisposeScope());
                }
            }
            else
            {
                Tensor rows = ImageVqVae.ToRows(z);
                Tensor mask = TrainingSupport.DropoutMask(model.Config.Levels, x.shape[0], rows.shape[0] / x.shape[0], generator);
                RvqOutput q = model.Quantizer.Forward(rows, mask, _options.Estimator, update: true, generator);
                commit = q.CommitLoss;
                xHat = model.Decode(ImageVqVae.FromRows(q.Quantized, z.shape[0], z.shape[2], z.shape[3]));
            }

            Tensor mse = (xHat - x).square().mean();
            Tensor loss = mse * 4 + commit * _options.CommitmentWeight;
            if (disc is not null && discOptimizer is not null && !warm)
            {
                loss = loss + PatchDiscriminator.GeneratorLoss(disc.forward(xHat)) * _options.GanWeight;
            }

            optimizer.zero_grad();
            loss.backward();
            torch.nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            if (disc is not null && discOptimizer is not null && !warm)
            {
                discOptimizer.zero_grad();
                Tensor dLoss = PatchDiscriminator.DiscriminatorLoss(disc.forward(x), disc.forward(xHat.detach()));
                dLoss.backward();
                discOptimizer.step();
            }

            double lossValue = loss.item<float>();
            double mseValue = mse.item<float>();
            emaLoss = TrainingSupport.TrackLoss(lossValue, emaLoss, step, _options.WarmupSteps, ckpt);
            int done = step + 1;
            if (step == _options.WarmupSteps - 1)
            {
                Report(done, TrainingSupport.InitialiseCodebooks(model.Quantizer, collected, rowsPerBatch, _options.Seed));
            }

            if (done % 25 == 0)
            {
                double rate = (done - clockStep) / clock.Elapsed.TotalSeconds;
                Report(done, $"step {done} loss {lossValue:F5} (avg {emaLoss:F5}) train-psnr {Psnr(mseValue):F2} dB commit {commit.item<float>():F5} lr {CurrentLr(step):G3} {rate:F2} steps/s{(warm ? " [warm-up]" : string.Empty)}");
            }
            else
            {
                _progress?.Report(new TrainingProgress(done, _options.Steps, null));
            }

            if (!warm && (done % _options.ValidateEvery == 0 || done == stop))
            {
                Validate(model, validBatch, done);
                Report(done, TrainingSupport.Utilisation(model.Quantizer));
                model.train();
            }

            if (done % _options.CheckpointEvery == 0 || done == stop)
            {
                TrainingSupport.SaveCheckpoint(_options.OutputDirectory, state with { Step = done }, model, optimizer, disc);
                Report(done, $"checkpoint at step {done}");
            }
        }

        disc?.Dispose();
    }

    private Tensor SampleBatch(Random rng)
    {
        int b = _options.BatchSize;
        int c = _options.CropSize;
        var data = new float[b * 3 * c * c];
        for (int i = 0; i < b; i++)
        {
            RgbImage img = _train[rng.Next(_train.Count)];
            int x0 = rng.Next(img.Width - c + 1);
            int y0 = rng.Next(img.Height - c + 1);
            bool flip = rng.Next(2) == 1;
            int plane = c * c;
            int baseIdx = i * 3 * plane;
            for (int y = 0; y < c; y++)
            {
                int srcRow = ((y0 + y) * img.Width + x0) * 3;
                for (int x = 0; x < c; x++)
                {
                    int sx = flip ? c - 1 - x : x;
                    int s = srcRow + sx * 3;
                    int d = baseIdx + y * c + x;
                    data[d] = img.Pixels[s] / 255f;
                    data[d + plane] = img.Pixels[s + 1] / 255f;
                    data[d + 2 * plane] = img.Pixels[s + 2] / 255f;
                }
            }
        }

        return torch.tensor(data, [b, 3, c, c]);
    }

    private Tensor BuildValidationBatch()
    {
        const int size = 256;
        var chosen = _valid.Where(v => v.Width >= size && v.Height >= size).Take(8).ToList();
        if (chosen.Count == 0)
        {
            return torch.zeros(0, 3, size, size);
        }

        var data = new float[chosen.Count * 3 * size * size];
        for (int i = 0; i < chosen.Count; i++)
        {
            RgbImage img = chosen[i];
            int x0 = (img.Width - size) / 2, y0 = (img.Height - size) / 2;
            for (int y = 0; y < size; y++)
            {
                for (int x = 0; x < size; x++)
                {
                    int s = ((y0 + y) * img.Width + x0 + x) * 3;
                    for (int ch = 0; ch < 3; ch++)
                    {
                        data[((i * 3 + ch) * size + y) * size + x] = img.Pixels[s + ch] / 255f;
                    }
                }
            }
        }

        return torch.tensor(data, [chosen.Count, 3, size, size]);
    }

    private void Validate(ImageVqVae model, Tensor validBatch, int step)
    {
        if (validBatch.shape[0] == 0)
        {
            return;
        }

        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor z = model.Encode(validBatch);
        Tensor rows = ImageVqVae.ToRows(z);
        int maxLevels = model.Config.Levels;
        Tensor codes = model.Quantizer.Encode(rows, maxLevels);
        double aeMse = (model.Decode(z).clamp(0, 1) * 255).round().div(255).sub(validBatch).square().mean().item<float>();
        var parts = new List<string> { $"AE={Psnr(aeMse):F2}" };
        foreach (int n in _options.ValidationLevels.Where(n => n <= maxLevels))
        {
            Tensor zq = ImageVqVae.FromRows(model.Quantizer.Decode(codes[.., ..n]), z.shape[0], z.shape[2], z.shape[3]);
            Tensor xHat = (model.Decode(zq).clamp(0, 1) * 255).round() / 255;
            double mse = (xHat - validBatch).square().mean().item<float>();
            parts.Add($"L{n}={Psnr(mse):F2}");
        }

        Report(step, $"valid psnr (dB, {validBatch.shape[0]} centre crops 256x256): {string.Join(' ', parts)}");
    }

    private static double Psnr(double mse) => 10 * Math.Log10(1.0 / Math.Max(mse, 1e-12));

    private void Report(int step, string message) => _progress?.Report(new TrainingProgress(step, _options.Steps, message));

    private double CurrentLr(int step) => TrainingSupport.LearningRate(_options.LearningRate, step, _options.Steps);

    private sealed record TrainerState
    {
        public int Step { get; init; }

        public required ImageModelConfig Config { get; init; }
    }
}
