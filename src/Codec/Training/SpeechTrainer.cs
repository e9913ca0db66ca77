using System.Diagnostics;
using TorchSharp;
using VqCodec.Codec.Metrics;
using VqCodec.Codec.Models;
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

    /// <summary>Runs (or resumes) training to <see cref="SpeechTrainingOptions.Steps"/>.</summary>
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
        using var model = new SpeechVqVae(state.Config);
        using var losses = new SpeechLosses(state.Config.SampleRate);
        var parameters = model.parameters().ToList();
        using var optimizer = torch.optim.Adam(parameters, _options.LearningRate, beta1: 0.9, beta2: 0.99);
        PatchDiscriminator? disc = _options.GanWeight > 0 ? new PatchDiscriminator(inChannels: 1) : null;
        using var discOptimizer = disc is null ? null : torch.optim.Adam(disc.parameters(), _options.LearningRate, beta1: 0.5, beta2: 0.9);
        string ckpt = Path.Combine(_options.OutputDirectory, TrainingSupport.CheckpointName);
        if (state.Step > 0)
        {
            TrainingSupport.LoadCheckpoint(ckpt, model, optimizer, disc);

            Report(state.Step, $"resumed from step {state.Step}");
        }

        List<float[]> validClips = BuildValidationClips(state.Config);
        var collected = new List<Tensor>();
        var clock = Stopwatch.StartNew();
        int clockStep = state.Step;
        double emaLoss = double.NaN;
        int rowsPerBatch = _options.BatchSize * _options.ClipFrames;
        model.train();
        int stop = Math.Min(_options.Steps, _options.StopAt ?? int.MaxValue);
        for (int step = state.Step; step < stop; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rng = new Random(HashCode.Combine(_options.Seed, step));
            using var generator = new Generator((ulong)HashCode.Combine(_options.Seed, step, 17));
            TrainingSupport.SetLearningRate(optimizer, CurrentLr(step));
            using var scope = NewDisposeScope();
            Tensor x = SampleBatch(rng, state.Config.Hop);
            bool warm = step < _options.WarmupSteps;
            Tensor z = model.Encode(x);
            Tensor commit = torch.zeros(1);
            Tensor xHat;
            if (warm)
            {
                xHat = model.Decode(z);
                if (step >= _options.WarmupSteps - 32)
                {
                    collected.Add(SpeechVqVae.ToRows(z).detach().clone().MoveToOuterDisposeScope());
                }
            }
            else
            {
                Tensor rows = SpeechVqVae.ToRows(z);
                Tensor mask = TrainingSupport.DropoutMask(model.Config.Levels, x.shape[0], z.shape[2], generator);
                RvqOutput q = model.Quantizer.Forward(rows, mask, _options.Estimator, update: true, generator);
                commit = q.CommitLoss;
                xHat = model.Decode(SpeechVqVae.FromRows(q.Quantized, z.shape[0], z.shape[2]));
            }

            Tensor mel = losses.Mel(x, xHat);
            Tensor loss = mel + (losses.Stft(x, xHat) * _options.StftWeight) + (_options.CompressedWeight > 0 ? losses.Compressed(x, xHat) * _options.CompressedWeight : torch.zeros(1))
                + (_options.IntelligibilityWeight > 0 ? losses.Intelligibility(x, xHat) * _options.IntelligibilityWeight : torch.zeros(1)) + ((xHat - x).abs().mean() * _options.WaveformWeight) + (commit * _options.CommitmentWeight);
            if (disc is not null && discOptimizer is not null && !warm)
            {
                loss = loss + (PatchDiscriminator.GeneratorLoss(disc.forward(MelImage(losses, xHat))) * _options.GanWeight);
            }

            optimizer.zero_grad();
            loss.backward();
            torch.nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            if (disc is not null && discOptimizer is not null && !warm)
            {
                discOptimizer.zero_grad();
                Tensor dLoss = PatchDiscriminator.DiscriminatorLoss(disc.forward(MelImage(losses, x)), disc.forward(MelImage(losses, xHat.detach())));
                dLoss.backward();
                discOptimizer.step();
            }

            double lossValue = loss.item<float>();
            emaLoss = TrainingSupport.TrackLoss(lossValue, emaLoss, step, _options.WarmupSteps, ckpt);
            int done = step + 1;
            if (step == _options.WarmupSteps - 1)
            {
                Report(done, TrainingSupport.InitialiseCodebooks(model.Quantizer, collected, rowsPerBatch, _options.Seed));
            }

            if (done % 25 == 0)
            {
                double rate = (done - clockStep) / clock.Elapsed.TotalSeconds;
                Report(done, $"step {done} loss {lossValue:F4} (avg {emaLoss:F4}) mel {mel.item<float>():F4} commit {commit.item<float>():F5} lr {CurrentLr(step):G3} {rate:F2} steps/s{(warm ? " [warm-up]" : string.Empty)}");
            }
            else
            {
                _progress?.Report(new TrainingProgress(done, _options.Steps, null));
            }

            if (!warm && (done % _options.ValidateEvery == 0 || done == _options.Steps || done == stop))
            {
                Validate(model, validClips, done);
                Report(done, TrainingSupport.Utilisation(model.Quantizer));
                model.train();
            }

            if (done % _options.CheckpointEvery == 0 || done == _options.Steps || done == stop)
            {
                TrainingSupport.SaveCheckpoint(_options.OutputDirectory, state with { Step = done }, model, optimizer, disc);
                Report(done, $"checkpoint at step {done}");
            }
        }

        disc?.Dispose();
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

    private void Validate(SpeechVqVae model, List<float[]> clips, int step)
    {
        if (clips.Count == 0)
        {
            return;
        }

        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        int length = clips[0].Length;
        Tensor x = torch.tensor(clips.SelectMany(c => c).ToArray(), [clips.Count, length]);
        Tensor z = model.Encode(x);
        Tensor codes = model.Quantizer.Encode(SpeechVqVae.ToRows(z), model.Config.Levels);
        var parts = new List<string>();
        foreach (int n in _options.ValidationLevels.Where(n => n <= model.Config.Levels))
        {
            Tensor zq = SpeechVqVae.FromRows(model.Quantizer.Decode(codes[.., ..n]), z.shape[0], z.shape[2]);
            float[] y = model.Decode(zq).clamp(-1, 1).data<float>().ToArray();
            double stoi = 0, mel = 0;
            for (int i = 0; i < clips.Count; i++)
            {
                ReadOnlySpan<float> yi = y.AsSpan(i * length, length);
                stoi += SpeechMetrics.Stoi(clips[i], yi, model.Config.SampleRate);
                mel += SpeechMetrics.MelDistance(clips[i], yi, model.Config.SampleRate);
            }

            double kbps = n * Math.Log2(model.Config.CodebookSize) * model.Config.FrameRate / 1000;
            parts.Add($"L{n}({kbps:F1}k) stoi {stoi / clips.Count:F3} mel {mel / clips.Count:F3}");
        }

        Report(step, $"valid ({clips.Count} clips x {ValidationSeconds:F0} s): {string.Join("; ", parts)}");
    }

    private double CurrentLr(int step) => TrainingSupport.LearningRate(_options.LearningRate, step, _options.Steps);

    private void Report(int step, string message) => _progress?.Report(new TrainingProgress(step, _options.Steps, message));

    private sealed record TrainerState
    {
        public int Step { get; init; }

        public required SpeechModelConfig Config { get; init; }
    }
}
