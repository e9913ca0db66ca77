using System.Buffers.Binary;
using System.Diagnostics;
using TorchSharp;
using VqCodec.Codec.Models;
using VqCodec.Codec.Speech;
using VqCodec.Container;
using static TorchSharp.torch;

namespace VqCodec.Codec.Training;

/// <summary>Options of <see cref="PriorTrainer"/>.</summary>
public sealed class PriorTrainingOptions : TrainingRunOptions
{
    /// <summary>Creates options with the prior's defaults.</summary>
    public PriorTrainingOptions()
    {
        Steps = 4000;
        BatchSize = 16;
        LearningRate = 2e-3;
    }

    /// <summary>Frames per training segment (the context restarts at its first frame, as at a file's segment start).</summary>
    public int SegmentFrames { get; init; } = 50;

    /// <summary>Network architecture (a resumed run keeps the checkpoint's).</summary>
    public ContextPriorConfig Model { get; init; } = new();

    /// <summary>Dropout while training (0 = none); the exported integer prior has none.</summary>
    public double Dropout { get; init; }

    /// <summary>Start from the quantizer's codebooks (<see cref="TokenPriorNet.InitializeFromCodebooks"/>; a residual model of width ≥ 2·latent).</summary>
    public bool CodebookInit { get; init; }

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        Model.Validate();
        if (!SharedOptionsValid || SegmentFrames < 2 || Dropout is < 0 or >= 1)
        {
            throw new ArgumentException("Prior training options out of range (steps, batch, segment frames >= 2, learning rate, intervals).");
        }
    }
}

/// <summary>
/// Trains the learned token prior (<see cref="ContextPrior"/>) of a speech model on the tokens that model gives
/// the training speech (all levels, computed once and cached in the run folder): each step draws segments of
/// <see cref="PriorTrainingOptions.SegmentFrames"/> frames and a level count L (uniform 1..levels, as files
/// may keep any number of levels) and minimises the cross-entropy of every token given its context.
/// </summary>
public sealed class PriorTrainer
{
    private static readonly int[] ValidationLevels = [2, 6, 16];
    private readonly SpeechModel _model;
    private readonly PriorTrainingOptions _options;
    private readonly IReadOnlyList<float[]> _train;
    private readonly IReadOnlyList<float[]> _valid;
    private readonly IProgress<TrainingProgress>? _progress;

    /// <summary>Creates a trainer; does no work until <see cref="Run"/>.</summary>
    /// <exception cref="ArgumentException">Options out of range, no training speech, or a prior that does not fit the model.</exception>
    public PriorTrainer(SpeechModel model, PriorTrainingOptions options, IReadOnlyList<float[]> train, IReadOnlyList<float[]> valid, IProgress<TrainingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(valid);
        options.Validate();
        if (train.Count == 0)
        {
            throw new ArgumentException("no training speech", nameof(train));
        }

        if (options.Model.Levels != model.Config.Levels || options.Model.CodebookSize != model.Config.CodebookSize)
        {
            throw new ArgumentException($"the prior must cover the model's {model.Config.Levels} levels of {model.Config.CodebookSize} codes", nameof(options));
        }

        _model = model;
        _options = options;
        _train = train;
        _valid = valid;
        _progress = progress;
    }

    /// <summary>Runs (or resumes) training to <see cref="TrainingRunOptions.Steps"/> (or the stop step).</summary>
    /// <exception cref="TrainingDivergedException">The loss became non-finite or exploded.</exception>
    public void Run(CancellationToken cancellationToken = default)
    {
        (string ckpt, State state) = TrainingSupport.StartRun(_options, () => new State { Config = _options.Model, Model = _model.Id });
        if (state.Model != _model.Id)
        {
            throw new ArgumentException($"the run in {_options.OutputDirectory} models the tokens of '{state.Model}', not '{_model.Id}'");
        }

        void Report(int step, string message) => _progress?.Report(new TrainingProgress(step, _options.Steps, message));
        var clock = Stopwatch.StartNew();
        short[][] train = LoadOrEncode("train", _train, cancellationToken);
        short[][] valid = LoadOrEncode("valid", _valid, cancellationToken);
        int levels = _model.Config.Levels;
        long frames = train.Sum(t => (long)t.Length / levels);
        Report(state.Step, $"tokens of {train.Length} training files ({frames} frames) and {valid.Length} validation files ready in {clock.Elapsed.TotalSeconds:F0} s");

        using var net = new TokenPriorNet(state.Config) { Dropout = _options.Dropout };
        var parameters = net.parameters().ToList();
        using var optimizer = torch.optim.Adam(parameters, _options.LearningRate, beta1: 0.9, beta2: 0.99);
        if (state.Step > 0)
        {
            TrainingSupport.LoadCheckpoint(ckpt, net, optimizer, null);
            Report(state.Step, $"resumed from step {state.Step}");
        }
        else
        {
            if (_options.CodebookInit)
            {
                net.InitializeFromCodebooks([.. Enumerable.Range(0, levels).Select(_model.Network.Quantizer.Codebook)]);
            }

            if (valid.Length > 0)
            {
                Report(0, Validate(net, valid));
            }
        }

        // Files long enough for a segment, drawn in proportion to their length.
        int[] usable = Enumerable.Range(0, train.Length).Where(i => train[i].Length / levels >= _options.SegmentFrames).ToArray();
        if (usable.Length == 0)
        {
            throw new ArgumentException($"no training file has {_options.SegmentFrames} frames");
        }

        long[] cumulative = new long[usable.Length];
        long total = 0;
        for (int i = 0; i < usable.Length; i++)
        {
            total += (train[usable[i]].Length / levels) - _options.SegmentFrames + 1;
            cumulative[i] = total;
        }

        TrainingSupport.RunLoop(_options, state.Step, net, optimizer, parameters, (step, rng) =>
        {
            int l = 1 + rng.Next(levels);
            Tensor loss = Loss(net, SampleBatch(train, usable, cumulative, total, l, rng), l);
            return (loss, (value, average) => $"bits/token {value / Math.Log(2):F3} (avg {average / Math.Log(2):F3}) levels {l}");
        }, valid.Length > 0 ? () => Validate(net, valid) : null, done => TrainingSupport.SaveCheckpoint(_options.OutputDirectory, state with { Step = done }, net, optimizer, null), _progress, cancellationToken);
    }

    /// <summary>The integer prior of the checkpoint in <paramref name="checkpointDirectory"/>.</summary>
    /// <exception cref="FileNotFoundException">The folder holds no checkpoint.</exception>
    public static (ContextPrior Prior, int Step, string Model) Export(string checkpointDirectory)
    {
        (ContextPriorConfig config, int step, string weights) = TrainingSupport.ReadCheckpoint<ContextPriorConfig>(checkpointDirectory);
        State state = TrainingSupport.LoadState<State>(Path.GetDirectoryName(Path.GetFullPath(checkpointDirectory))!)
            ?? throw new FileNotFoundException($"no checkpoint state in {checkpointDirectory}");
        using var net = new TokenPriorNet(config);
        net.load(weights);
        return (net.Quantize(), step, state.Model);
    }

    /// <summary>
    /// The speech model file <paramref name="modelFile"/> (null: the embedded one) with the prior of the checkpoint in
    /// <paramref name="checkpointDirectory"/> attached to its token priors (a new model file: new hash, id
    /// <paramref name="id"/> or the model's own).
    /// </summary>
    /// <exception cref="ArgumentException">The prior was trained on another model's tokens or does not fit it.</exception>
    public static byte[] AttachToModel(Stream? modelFile, string checkpointDirectory, string? id)
    {
        byte[] file;
        using (Stream source = modelFile ?? LoadedModel.OpenEmbedded(SpeechModel.PretrainedId + ".vqm"))
        {
            file = LoadedModel.ReadAll(source);
        }

        (ModelBundle bundle, _) = ModelBundle.Parse(file);
        (ContextPrior prior, int step, string trainedOn) = Export(checkpointDirectory);
        if (bundle.Description.Speech is not { } config || bundle.Priors is null)
        {
            throw new ArgumentException($"model '{bundle.Description.Id}' is not a speech model with token priors");
        }

        if (trainedOn != bundle.Description.Id || prior.Levels != config.Levels || prior.CodebookSize != config.CodebookSize)
        {
            throw new ArgumentException($"the prior in {checkpointDirectory} models the tokens of '{trainedOn}', not of '{bundle.Description.Id}'");
        }

        var training = new Dictionary<string, string>(bundle.Description.Training)
        {
            ["prior"] = $"context prior {prior.Width} wide, {prior.ContextFrames} frames, {step} steps ({checkpointDirectory})",
        };
        var description = bundle.Description with { Id = id ?? bundle.Description.Id, Training = training };
        return ModelBundle.Serialize(description, bundle.Priors.WithContext(prior), bundle.State);
    }

    /// <summary>All levels of the model's tokens of one signal, frame-major (frames × levels), as the cache holds them.</summary>
    private static short[] FrameMajor(int[][] planes)
    {
        int levels = planes.Length, frames = planes[0].Length;
        var grid = new short[frames * levels];
        for (int t = 0; t < frames; t++)
        {
            for (int l = 0; l < levels; l++)
            {
                grid[(t * levels) + l] = (short)planes[l][t];
            }
        }

        return grid;
    }

    private short[][] LoadOrEncode(string name, IReadOnlyList<float[]> signals, CancellationToken cancellationToken)
    {
        // The cache is keyed by the model and the signals' lengths, so other data or another model re-encodes.
        long key = signals.Aggregate(17L, (h, s) => (h * 31) + s.Length);
        string path = Path.Combine(_options.OutputDirectory, $"tokens-{name}-{Convert.ToHexString(_model.Hash, 0, 6).ToLowerInvariant()}-{key & 0xFFFFFFFFFFFL:x}.bin");
        if (File.Exists(path))
        {
            byte[] bytes = File.ReadAllBytes(path);
            var cached = new List<short[]>();
            int p = 0;
            while (p + 4 <= bytes.Length)
            {
                int n = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(p));
                p += 4;
                short[] grid = new short[n];
                Buffer.BlockCopy(bytes, p, grid, 0, 2 * n);
                p += 2 * n;
                cached.Add(grid);
            }

            if (cached.Count == signals.Count)
            {
                return [.. cached];
            }
        }

        var result = new short[signals.Count][];
        var ms = new MemoryStream();
        Span<byte> len = stackalloc byte[4];
        for (int i = 0; i < signals.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result[i] = FrameMajor(SpeechCodec.EncodeTokens(_model, signals[i]));
            BinaryPrimitives.WriteInt32LittleEndian(len, result[i].Length);
            ms.Write(len);
            var raw = new byte[2 * result[i].Length];
            Buffer.BlockCopy(result[i], 0, raw, 0, raw.Length);
            ms.Write(raw);
            _progress?.Report(new TrainingProgress(0, _options.Steps, i % 100 == 99 ? $"{name}: tokens of {i + 1}/{signals.Count} files" : null));
        }

        File.WriteAllBytes(path + ".tmp", ms.ToArray());
        File.Move(path + ".tmp", path, overwrite: true);
        return result;
    }

    private Tensor SampleBatch(short[][] train, int[] usable, long[] cumulative, long total, int levels, Random rng)
    {
        int b = _options.BatchSize, t = _options.SegmentFrames, all = _model.Config.Levels;
        var data = new long[b * t * levels];
        for (int i = 0; i < b; i++)
        {
            long pick = rng.NextInt64(total);
            int f = Array.BinarySearch(cumulative, pick + 1);
            f = f >= 0 ? f : ~f;
            long before = f == 0 ? 0 : cumulative[f - 1];
            int start = (int)(pick - before);
            CopySegment(train[usable[f]], all, start, t, levels, data.AsSpan(i * t * levels));
        }

        return torch.tensor(data, [b, t, levels]);
    }

    /// <summary>Frames [start, start + frames) of a frame-major grid of <paramref name="all"/> levels, levels 0..levels−1, into <paramref name="into"/>.</summary>
    private static void CopySegment(short[] grid, int all, int start, int frames, int levels, Span<long> into)
    {
        for (int x = 0; x < frames; x++)
        {
            for (int l = 0; l < levels; l++)
            {
                into[(x * levels) + l] = grid[((start + x) * all) + l];
            }
        }
    }

    private static Tensor Loss(TokenPriorNet net, Tensor batch, int levels)
    {
        Tensor logits = net.forward(batch, levels);
        return nn.functional.cross_entropy(logits.reshape(-1, net.Config.CodebookSize), batch.reshape(-1));
    }

    /// <summary>Bits per token on the validation files cut into segments, at a few level counts (float network).</summary>
    private string Validate(TokenPriorNet net, short[][] valid)
    {
        using var noGrad = torch.no_grad();
        int all = _model.Config.Levels, t = _options.SegmentFrames;
        var parts = new List<string>();
        foreach (int levels in ValidationLevels)
        {
            double bits = 0;
            long count = 0;
            foreach (short[] grid in valid)
            {
                using var scope = NewDisposeScope();
                int frames = grid.Length / all, segments = frames / t;
                if (segments == 0)
                {
                    continue;
                }

                var data = new long[segments * t * levels];
                CopySegment(grid, all, 0, segments * t, levels, data);

                Tensor batch = torch.tensor(data, [segments, t, levels]);
                Tensor logits = net.forward(batch, levels);
                bits += nn.functional.cross_entropy(logits.reshape(-1, net.Config.CodebookSize), batch.reshape(-1), reduction: nn.Reduction.Sum).item<float>() / Math.Log(2);
                count += data.Length;
            }

            parts.Add($"L{levels} {bits / Math.Max(count, 1):F3}");
        }

        return $"valid bits/token (float): {string.Join(", ", parts)}";
    }

    private sealed record State
    {
        public int Step { get; init; }

        public required ContextPriorConfig Config { get; init; }

        public required string Model { get; init; }
    }
}
