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
        TrainingSupport.CheckImages(train, options.CropSize);

        _options = options;
        _train = train;
        _valid = valid;
        _progress = progress;
    }

    /// <summary>Path of the model weights in the last checkpoint.</summary>
    public string CheckpointModelPath => Path.Combine(_options.OutputDirectory, TrainingSupport.CheckpointName, "model.bin");

    /// <summary>Runs (or resumes) training to <see cref="TrainingRunOptions.Steps"/> (or <see cref="TrainingRunOptions.StopAt"/>).</summary>
    /// <exception cref="TrainingDivergedException">The loss became non-finite or exploded.</exception>
    public void Run(CancellationToken cancellationToken = default)
    {
        NativeRuntime.Prepare();
        if (_options.Threads > 0)
        {
            torch.set_num_threads(_options.Threads);
        }

        Directory.CreateDirectory(_options.OutputDirectory);
        torch.manual_seed(_options.Seed);
        TrainerState state = TrainingSupport.LoadState<TrainerState>(_options.OutputDirectory) ?? new TrainerState { Config = _options.Model };
        using var model = new ImageVqVae(state.Config);
        using Tensor validBatch = BuildValidationBatch();
        var task = new ImageTask(this, model, validBatch);
        VqTrainingLoop.Run(_options, task, state.Step, step => state with { Step = step }, _progress, cancellationToken);
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

    private string? Validate(ImageVqVae model, Tensor validBatch)
    {
        if (validBatch.shape[0] == 0)
        {
            return null;
        }

        using var scope = NewDisposeScope();
        Tensor z = model.Encode(validBatch);
        Tensor rows = ImageVqVae.ToRows(z);
        int maxLevels = model.Config.Levels;
        Tensor codes = model.Quantizer.Encode(rows, maxLevels);
        double Measure(Tensor latent) => Psnr((model.Decode(latent).clamp(0, 1) * 255).round().div(255).sub(validBatch).square().mean().item<float>());
        var parts = new List<string> { $"AE={Measure(z):F2}" };
        foreach (int n in _options.ValidationLevels.Where(n => n <= maxLevels))
        {
            parts.Add($"L{n}={Measure(ImageVqVae.FromRows(model.Quantizer.Decode(codes[.., ..n]), z.shape[0], z.shape[2], z.shape[3])):F2}");
        }

        return $"valid psnr (dB, {validBatch.shape[0]} centre crops 256x256): {string.Join(' ', parts)}";
    }

    private static double Psnr(double mse) => 10 * Math.Log10(1.0 / Math.Max(mse, 1e-12));

    /// <summary>The image side of the shared loop: random crops, pixel MSE, PSNR validation.</summary>
    private sealed class ImageTask(ImageTrainer trainer, ImageVqVae model, Tensor validBatch) : IVqTrainingTask
    {
        public nn.Module Network => model;

        public ResidualVq Quantizer => model.Quantizer;

        public int RowsPerBatch => trainer._options.BatchSize * (trainer._options.CropSize / 16) * (trainer._options.CropSize / 16);

        public Tensor Sample(Random rng) => trainer.SampleBatch(rng);

        public Tensor Encode(Tensor x) => model.Encode(x);

        public Tensor Decode(Tensor z) => model.Decode(z);

        public Tensor ToRows(Tensor z) => ImageVqVae.ToRows(z);

        public Tensor FromRows(Tensor rows, Tensor like) => ImageVqVae.FromRows(rows, like.shape[0], like.shape[2], like.shape[3]);

        public (Tensor Loss, Func<string> Describe) Loss(Tensor x, Tensor xHat)
        {
            Tensor mse = (xHat - x).square().mean();
            return (mse * 4, () => $"train-psnr {Psnr(mse.item<float>()):F2} dB");
        }

        public PatchDiscriminator CreateDiscriminator() => new();

        public Tensor DiscriminatorInput(Tensor x) => x;

        public string? Validate() => trainer.Validate(model, validBatch);
    }

    private sealed record TrainerState
    {
        public int Step { get; init; }

        public required ImageModelConfig Config { get; init; }
    }
}
