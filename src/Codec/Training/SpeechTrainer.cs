using TorchSharp;
using VqCodec.Codec.Metrics;
using VqCodec.Codec.Models;
using VqCodec.Container;
using static TorchSharp.torch;

namespace VqCodec.Codec.Training;

/// <summary>
/// Trains the speech VQ-VAE on random clips with checkpoints and resume, in the same two phases as the
/// image trainer: autoencoder warm-up, k-means initialisation of every level on collected latents, then
/// EMA codebooks with dead-code restart and per-clip quantizer dropout. Clips get a random gain
/// (−12 to +3 dB, clipped to ±1) so the model does not learn one loudness.
/// </summary>
public sealed class SpeechTrainer
{
    private const float ValidationSeconds = 4f;
    private readonly SpeechTrainingOptions _options;
    private readonly IReadOnlyList<float[]> _train;
    private readonly IReadOnlyList<float[]> _valid;
    private readonly IProgress<TrainingProgress>? _progress;
    private readonly long[] _cumulative;

    /// <summary>Creates a trainer over 16 kHz mono signals; does no work until <see cref="Run"/>.</summary>
    public SpeechTrainer(SpeechTrainingOptions options, IReadOnlyList<float[]> train, IReadOnlyList<float[]> valid, IProgress<TrainingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int clip = options.ClipFrames * options.Model.Hop;
        _train = train.Where(t => t.Length >= clip).ToList();
        if (_train.Count == 0)
        {
            throw new ArgumentException($"No training signal is at least {clip} samples long.", nameof(train));
        }

        _options = options;
        _valid = valid;
        _progress = progress;
        _cumulative = new long[_train.Count];
        long sum = 0;
        for (int i = 0; i < _train.Count; i++)
        {
            sum += _train[i].Length - clip + 1;
            _cumulative[i] = sum;
        }
    }

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
        TrainerState? saved = TrainingSupport.LoadState<TrainerState>(_options.OutputDirectory);
        if (saved is null && _options.InitFrom is not null)
        {
            saved = Initialise(_options.InitFrom);
        }

        TrainerState state = saved ?? new TrainerState { Config = _options.Model };
        using var model = new SpeechVqVae(state.Config);
        using var losses = new SpeechLosses(state.Config.SampleRate);
        var task = new SpeechTask(this, model, losses, BuildValidationClips(state.Config));
        VqTrainingLoop.Run(_options, task, state.Step, step => state with { Step = step }, _progress, cancellationToken);
    }

    /// <summary>
    /// Writes a checkpoint at the end of the warm-up holding the weights of the model file
    /// <paramref name="path"/> (in the architecture of the options, which must match it in shape) and a fresh
    /// optimizer, so the run continues from there.
    /// </summary>
    private TrainerState Initialise(string path)
    {
        (ModelBundle bundle, _) = ModelBundle.Parse(File.ReadAllBytes(path));
        SpeechModelConfig source = bundle.Description.Speech ?? throw new ModelMismatchException($"{path} is not a speech model", bundle.Description.Id, "speech");
        SpeechModelConfig wanted = _options.Model;
        if (source with { CumulativePhase = wanted.CumulativePhase, FineDilations = wanted.FineDilations, CoarseDilations = wanted.CoarseDilations } != wanted
            || !source.FineDilations.SequenceEqual(wanted.FineDilations) || !source.CoarseDilations.SequenceEqual(wanted.CoarseDilations))
        {
            throw new ArgumentException($"{path} has another architecture than the one asked for");
        }

        using var model = new SpeechVqVae(_options.Model);
        model.to(ScalarType.Float16);
        model.load(new MemoryStream(bundle.State));
        model.to(ScalarType.Float32);
        if (wanted.CumulativePhase && !source.CumulativePhase)
        {
            model.ResetPhaseHead();
        }

        using var optimizer = torch.optim.Adam(model.parameters(), _options.LearningRate, beta1: 0.9, beta2: 0.99);
        var state = new TrainerState { Config = _options.Model, Step = _options.WarmupSteps };
        TrainingSupport.SaveCheckpoint(_options.OutputDirectory, state, model, optimizer, null);
        _progress?.Report(new TrainingProgress(state.Step, _options.Steps, $"initialised from {bundle.Description.Id} ({path}); training continues after the warm-up"));
        return state;
    }

    private static Tensor MelImage(SpeechLosses losses, Tensor x) => ((losses.LogMel(x) + 5f) / 5f).unsqueeze(1);

    private Tensor SampleBatch(Random rng, int hop)
    {
        int b = _options.BatchSize;
        int clip = _options.ClipFrames * hop;
        var data = new float[b * clip];
        for (int i = 0; i < b; i++)
        {
            long pick = rng.NextInt64(_cumulative[^1]);
            int file = Array.BinarySearch(_cumulative, pick + 1);
            file = file < 0 ? ~file : file;
            long before = file == 0 ? 0 : _cumulative[file - 1];
            int offset = (int)(pick - before);
            float gain = (float)Math.Pow(10, (-12 + (15 * rng.NextDouble())) / 20);
            float[] src = _train[file];
            for (int t = 0; t < clip; t++)
            {
                data[(i * clip) + t] = Math.Clamp(src[offset + t] * gain, -1f, 1f);
            }
        }

        return torch.tensor(data, [b, clip]);
    }

    private List<float[]> BuildValidationClips(SpeechModelConfig config)
    {
        int frames = (int)(ValidationSeconds * config.SampleRate / config.Hop);
        int length = frames * config.Hop;
        return _valid.Where(v => v.Length >= length).Take(8).Select(v => v.AsSpan(0, length).ToArray()).ToList();
    }

    private string? Validate(SpeechVqVae model, List<float[]> clips)
    {
        if (clips.Count == 0)
        {
            return null;
        }

        using var scope = NewDisposeScope();
        int length = clips[0].Length;
        Tensor x = torch.tensor(clips.SelectMany(c => c).ToArray(), [clips.Count, length]);
        Tensor z = model.Encode(x);
        Tensor codes = model.Quantizer.Encode(SpeechVqVae.ToRows(z), model.Config.Levels);
        var parts = new List<string>();
        foreach (int n in _options.ValidationLevels.Where(n => n <= model.Config.Levels))
        {
            Tensor zq = SpeechVqVae.FromRows(model.Quantizer.Decode(codes[.., ..n]), z.shape[0], z.shape[2]);
            float[] y = model.Decode(zq).clamp(-1, 1).data<float>().ToArray();
            double stoi = 0, mel = 0, loudness = 0;
            var refTrack = new List<double>();
            var testTrack = new List<double>();
            for (int i = 0; i < clips.Count; i++)
            {
                ReadOnlySpan<float> yi = y.AsSpan(i * length, length);
                stoi += SpeechMetrics.Stoi(clips[i], yi, model.Config.SampleRate);
                mel += SpeechMetrics.MelDistance(clips[i], yi, model.Config.SampleRate);
                loudness += Loudness.Difference(clips[i], yi, model.Config.SampleRate);
                refTrack.AddRange(PitchTracker.Track(clips[i], model.Config.SampleRate));
                testTrack.AddRange(PitchTracker.Track(yi, model.Config.SampleRate));
            }

            PitchComparison pitch = PitchComparison.Compare(refTrack, testTrack);
            double kbps = n * Math.Log2(model.Config.CodebookSize) * model.Config.FrameRate / 1000;
            parts.Add($"L{n}({kbps:F1}k) stoi {stoi / clips.Count:F3} mel {mel / clips.Count:F3} f0 {pitch.MedianCents:F0}c gpe {pitch.GrossPitchError:P0} loud {loudness / clips.Count:+0.0;-0.0}dB");
        }

        return $"valid ({clips.Count} clips x {ValidationSeconds:F0} s): {string.Join("; ", parts)}";
    }

    /// <summary>The speech side of the shared loop: random clips with random gain, spectral and waveform losses, STOI/mel validation.</summary>
    private sealed class SpeechTask(SpeechTrainer trainer, SpeechVqVae model, SpeechLosses losses, List<float[]> validClips) : IVqTrainingTask
    {
        private readonly SpeechTrainingOptions _o = trainer._options;

        public nn.Module Network => model;

        public ResidualVq Quantizer => model.Quantizer;

        public int RowsPerBatch => _o.BatchSize * _o.ClipFrames;

        public Tensor Sample(Random rng) => trainer.SampleBatch(rng, model.Config.Hop);

        public Tensor Encode(Tensor x) => model.Encode(x);

        public Tensor Decode(Tensor z) => model.Decode(z);

        public Tensor ToRows(Tensor z) => SpeechVqVae.ToRows(z);

        public Tensor FromRows(Tensor rows, Tensor like) => SpeechVqVae.FromRows(rows, like.shape[0], like.shape[2]);

        public (Tensor Loss, Func<string> Describe) Loss(Tensor x, Tensor xHat)
        {
            Tensor mel = losses.Mel(x, xHat);
            Tensor loss = mel + (losses.Stft(x, xHat) * _o.StftWeight);
            if (_o.WaveformWeight > 0)
            {
                loss = loss + ((xHat - x).abs().mean() * _o.WaveformWeight);
            }

            if (_o.CompressedWeight > 0)
            {
                loss = loss + (losses.Compressed(x, xHat, _o.CompressedPhaseWeight) * _o.CompressedWeight);
            }

            if (_o.FineStftWeight > 0)
            {
                loss = loss + (losses.FineStft(x, xHat) * _o.FineStftWeight);
            }

            if (_o.IntelligibilityWeight > 0)
            {
                loss = loss + (losses.Intelligibility(x, xHat) * _o.IntelligibilityWeight);
            }

            return (loss, () => $"mel {mel.item<float>():F4}");
        }

        public PatchDiscriminator CreateDiscriminator() => new(inChannels: 1);

        public Tensor DiscriminatorInput(Tensor x) => MelImage(losses, x);

        public string? Validate() => trainer.Validate(model, validClips);
    }

    private sealed record TrainerState
    {
        public int Step { get; init; }

        public required SpeechModelConfig Config { get; init; }
    }
}
