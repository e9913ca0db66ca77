using System.Diagnostics;
using TorchSharp;
using VqCodec.Codec.Image;
using VqCodec.Codec.Models;
using VqCodec.Container;
using static TorchSharp.torch;

namespace VqCodec.Codec.Training;

/// <summary>
/// Trains the decoder-side restoration network with the real codec in the loop: every training image is
/// coded once to <see cref="RestorerTrainingOptions.BaseLevels"/> token levels by the (frozen) image model
/// and decoded (the base, cached in the run folder); every step draws crops, codes each crop's residual with
/// the detail layer at a log-uniformly drawn step (the encoder's own rate-distortion choices included),
/// decodes it, and trains the network to map the decoded crop (with its base and step) to the source.
/// </summary>
public sealed class RestorerTrainer
{
    private static readonly double[] ValidationSteps = [20, 40, 80, 160];
    private readonly ImageModel _base;
    private readonly RestorerTrainingOptions _options;
    private readonly IReadOnlyList<RgbImage> _train;
    private readonly IReadOnlyList<RgbImage> _valid;
    private readonly IProgress<TrainingProgress>? _progress;

    /// <summary>Creates a trainer; does no work until <see cref="Run"/>.</summary>
    /// <exception cref="ArgumentException">Options out of range, no training images, or images smaller than a crop.</exception>
    public RestorerTrainer(ImageModel baseModel, RestorerTrainingOptions options, IReadOnlyList<RgbImage> train, IReadOnlyList<RgbImage> valid, IProgress<TrainingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(baseModel);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        TrainingSupport.CheckImages(train, options.CropSize);

        _base = baseModel;
        _options = options;
        _train = train;
        _valid = valid;
        _progress = progress;
    }

    /// <summary>Runs (or resumes) training to <see cref="TrainingRunOptions.Steps"/> (or the stop step).</summary>
    /// <exception cref="TrainingDivergedException">The loss became non-finite or exploded.</exception>
    public void Run(CancellationToken cancellationToken = default)
    {
        (string ckpt, State state) = TrainingSupport.StartRun(_options, () => new State { Config = _options.Model, BaseModel = _base.Id });
        if (state.BaseModel != _base.Id)
        {
            throw new ArgumentException($"the run in {_options.OutputDirectory} restores model '{state.BaseModel}', not '{_base.Id}'");
        }

        void Report(int step, string message) => _progress?.Report(new TrainingProgress(step, _options.Steps, message));
        var clock = Stopwatch.StartNew();
        RgbImage[] bases = LoadOrComputeBases(cancellationToken);
        Report(state.Step, $"base images ({_options.BaseLevels} levels) of {bases.Length} training images ready in {clock.Elapsed.TotalSeconds:F0} s");
        using ValidationSet valid = BuildValidation(cancellationToken);

        using var net = new ImageRestorerNet(state.Config);
        var parameters = net.parameters().ToList();
        using var optimizer = torch.optim.Adam(parameters, _options.LearningRate, beta1: 0.9, beta2: 0.99);
        if (state.Step > 0)
        {
            TrainingSupport.LoadCheckpoint(ckpt, net, optimizer, null);
            Report(state.Step, $"resumed from step {state.Step}");
        }
        else if (valid.Count > 0)
        {
            Report(0, Validate(net, valid));
        }

        TrainingSupport.RunLoop(_options, state.Step, net, optimizer, parameters, (step, rng) =>
        {
            (Tensor decoded, Tensor baseImage, Tensor stepFeature, Tensor source) = SampleBatch(bases, rng, cancellationToken);
            Tensor restored = net.forward(decoded, baseImage, stepFeature);
            Tensor mse = (restored - source).square().mean();
            Tensor loss = mse;
            if (_options.BlockinessWeight > 0)
            {
                loss = loss + (_options.BlockinessWeight * (ImageLosses.Blockiness(restored) - ImageLosses.Blockiness(source)).abs().mean());
            }

            if (_options.SsimWeight > 0)
            {
                loss = loss + (_options.SsimWeight * ImageLosses.SsimLoss(restored, source).mean());
            }

            float before = (decoded - source).square().mean().item<float>(), after = mse.item<float>();
            return (loss, (value, average) => $"loss {value:E3} (avg {average:E3}) gain {10 * Math.Log10(before / Math.Max(after, 1e-12)):+0.00;-0.00} dB");
        }, valid.Count > 0 ? () => Validate(net, valid) : null, done => TrainingSupport.SaveCheckpoint(_options.OutputDirectory, state with { Step = done }, net, optimizer, null), _progress, cancellationToken);
    }

    /// <summary>
    /// A restorer file (.vqm) from the checkpoint in <paramref name="checkpointDirectory"/>, named
    /// <paramref name="id"/>, with <paramref name="facts"/> and the checkpoint's step as training facts.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder holds no checkpoint.</exception>
    public static byte[] Export(string checkpointDirectory, string id, Dictionary<string, string> facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        (RestorerConfig config, int step, string weights) = TrainingSupport.ReadCheckpoint<RestorerConfig>(checkpointDirectory);
        State state = TrainingSupport.LoadState<State>(Path.GetDirectoryName(Path.GetFullPath(checkpointDirectory))!)
            ?? throw new FileNotFoundException($"no checkpoint state in {checkpointDirectory}");
        var training = new Dictionary<string, string>(facts) { ["steps"] = step.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        return ImageRestorer.BundleFromCheckpoint(weights, config, id, state.BaseModel, training);
    }

    /// <summary>The base image of every training image, from the run folder's cache or computed (and cached).</summary>
    private RgbImage[] LoadOrComputeBases(CancellationToken cancellationToken)
    {
        string dir = Path.Combine(_options.OutputDirectory, "bases");
        Directory.CreateDirectory(dir);
        var result = new RgbImage[_train.Count];
        for (int i = 0; i < _train.Count; i++)
        {
            RgbImage image = _train[i];
            string path = Path.Combine(dir, $"{i:D5}-{image.Width}x{image.Height}.rgb");
            if (File.Exists(path) && new FileInfo(path).Length == (long)image.Width * image.Height * 3)
            {
                result[i] = new RgbImage(image.Width, image.Height, File.ReadAllBytes(path));
                continue;
            }

            result[i] = Base(image, cancellationToken);
            File.WriteAllBytes(path + ".tmp", result[i].Pixels);
            File.Move(path + ".tmp", path, overwrite: true);
        }

        return result;
    }

    private RgbImage Base(RgbImage image, CancellationToken cancellationToken)
    {
        int[][] tokens = ImageTiling.EncodeTokens(_base, image, _options.BaseLevels, ImageEncodeOptions.DefaultTileSize, cancellationToken);
        return ImageTiling.DecodeTokens(_base, image.Width, image.Height, tokens, ImageDecodeOptions.DefaultTileSize, cancellationToken);
    }

    private (Tensor Decoded, Tensor Base, Tensor StepFeature, Tensor Source) SampleBatch(RgbImage[] bases, Random rng, CancellationToken cancellationToken)
    {
        int b = _options.BatchSize, c = _options.CropSize;
        var decoded = new RgbImage[b];
        var baseCrops = new RgbImage[b];
        var sources = new RgbImage[b];
        var features = new float[b];
        for (int i = 0; i < b; i++)
        {
            int k = rng.Next(_train.Count);
            RgbImage img = _train[k];
            int x0 = rng.Next(img.Width - c + 1), y0 = rng.Next(img.Height - c + 1);
            int orientation = rng.Next(8);
            sources[i] = Crop(img, x0, y0, c, orientation);
            baseCrops[i] = Crop(bases[k], x0, y0, c, orientation);
            double step = _options.MinStep * Math.Pow(_options.MaxStep / _options.MinStep, rng.NextDouble());
            (decoded[i], double stored) = Code(sources[i], baseCrops[i], step, cancellationToken);
            features[i] = ImageRestorerNet.StepFeature(stored);
        }

        return (Stack(decoded), Stack(baseCrops), torch.tensor(features), Stack(sources));
    }

    /// <summary>The image the decoder reconstructs from <paramref name="baseImage"/> plus the detail layer at <paramref name="step"/>.</summary>
    private static (RgbImage Decoded, double StoredStep) Code(RgbImage source, RgbImage baseImage, double step, CancellationToken cancellationToken)
    {
        byte[] payload = DetailLayer.Encode(source, baseImage, step, cancellationToken);
        var decoded = new RgbImage(baseImage.Width, baseImage.Height, (byte[])baseImage.Pixels.Clone());
        DetailLayer.Apply(payload, decoded, cancellationToken);
        return (decoded, DetailLayerHeader.Read(payload).LumaStep);
    }

    /// <summary>A c×c crop at (x0, y0) in one of the 8 orientations of the square (flips and transposition).</summary>
    private static RgbImage Crop(RgbImage image, int x0, int y0, int c, int orientation)
    {
        var pixels = new byte[c * c * 3];
        for (int y = 0; y < c; y++)
        {
            for (int x = 0; x < c; x++)
            {
                int sx = (orientation & 1) != 0 ? c - 1 - x : x;
                int sy = (orientation & 2) != 0 ? c - 1 - y : y;
                if ((orientation & 4) != 0)
                {
                    (sx, sy) = (sy, sx);
                }

                int s = (((y0 + sy) * image.Width) + x0 + sx) * 3;
                int d = ((y * c) + x) * 3;
                pixels[d] = image.Pixels[s];
                pixels[d + 1] = image.Pixels[s + 1];
                pixels[d + 2] = image.Pixels[s + 2];
            }
        }

        return new RgbImage(c, c, pixels);
    }

    /// <summary>Images of one size as a [N, 3, H, W] batch in [0, 1].</summary>
    internal static Tensor Stack(IReadOnlyList<RgbImage> images)
    {
        int h = images[0].Height, w = images[0].Width, plane = h * w;
        var data = new float[images.Count * 3 * plane];
        for (int n = 0; n < images.Count; n++)
        {
            byte[] p = images[n].Pixels;
            int o = n * 3 * plane;
            for (int i = 0; i < plane; i++)
            {
                data[o + i] = p[i * 3] / 255f;
                data[o + plane + i] = p[(i * 3) + 1] / 255f;
                data[o + (2 * plane) + i] = p[(i * 3) + 2] / 255f;
            }
        }

        return torch.tensor(data, [images.Count, 3, h, w]);
    }

    /// <summary>Centre 256×256 crops of up to 8 validation images, coded at each validation step.</summary>
    private ValidationSet BuildValidation(CancellationToken cancellationToken)
    {
        const int size = 256;
        var chosen = _valid.Where(v => v.Width >= size && v.Height >= size).Take(8).ToList();
        var set = new ValidationSet();
        if (chosen.Count == 0)
        {
            return set;
        }

        var sources = chosen.Select(v => Crop(v, (v.Width - size) / 16 * 8, (v.Height - size) / 16 * 8, size, 0)).ToList();
        var bases = sources.Select(s => Base(s, cancellationToken)).ToList();
        set.Source = Stack(sources);
        set.Base = Stack(bases);
        foreach (double step in ValidationSteps)
        {
            var coded = sources.Select((s, i) => Code(s, bases[i], step, cancellationToken)).ToList();
            set.Decoded.Add(Stack([.. coded.Select(t => t.Decoded)]));
            set.Features.Add(torch.tensor(coded.Select(t => ImageRestorerNet.StepFeature(t.StoredStep)).ToArray()));
        }

        return set;
    }

    private static string Validate(ImageRestorerNet net, ValidationSet valid)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        static double Psnr(Tensor a, Tensor b) => 10 * Math.Log10(1.0 / Math.Max((a.clamp(0, 1) * 255).round().div(255).sub(b).square().mean().item<float>(), 1e-12));
        var parts = new List<string>();
        for (int i = 0; i < ValidationSteps.Length; i++)
        {
            Tensor restored = net.forward(valid.Decoded[i], valid.Base!, valid.Features[i]).clamp(0, 1);
            double blockiness = ImageLosses.Blockiness(restored).mean().item<float>() * 255;
            double ssim = ImageLosses.Ssim(restored, valid.Source!).mean().item<float>();
            parts.Add($"step {ValidationSteps[i]}: {Psnr(valid.Decoded[i], valid.Source!):F2} -> {Psnr(restored, valid.Source!):F2} dB, ssim {ssim:F4}, blockiness {blockiness:F2}");
        }

        double sourceBlockiness = ImageLosses.Blockiness(valid.Source!).mean().item<float>() * 255;
        return $"valid ({valid.Count} centre crops 256x256; psnr decoded -> restored; source blockiness {sourceBlockiness:F2}): {string.Join("; ", parts)}";
    }

    private sealed record State
    {
        public int Step { get; init; }

        public required RestorerConfig Config { get; init; }

        public required string BaseModel { get; init; }
    }

    private sealed class ValidationSet : IDisposable
    {
        public Tensor? Source { get; set; }

        public Tensor? Base { get; set; }

        public List<Tensor> Decoded { get; } = [];

        public List<Tensor> Features { get; } = [];

        public int Count => Source is null ? 0 : (int)Source.shape[0];

        public void Dispose()
        {
            Source?.Dispose();
            Base?.Dispose();
            Decoded.ForEach(t => t.Dispose());
            Features.ForEach(t => t.Dispose());
        }
    }
}
