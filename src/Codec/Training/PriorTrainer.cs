using System.Buffers.Binary;
using System.Diagnostics;
using TorchSharp;
using VqCodec.Codec.Image;
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
/// Trains the learned token prior (<see cref="ContextPrior"/>) of a speech or image model on the tokens that model
/// gives the training material (all levels, computed once and cached in the run folder): each step draws speech
/// segments of <see cref="PriorTrainingOptions.SegmentFrames"/> frames (or square crops of that side from image
/// token grids) and a level count L (uniform 1..levels, as files may keep any number of levels) and minimises the
/// cross-entropy of every token given its context.
/// </summary>
public sealed class PriorTrainer
{
    private readonly LoadedModel _model;
    private readonly int _levels;
    private readonly Func<IReadOnlyList<Tensor>> _codebooks;
    private readonly PriorTrainingOptions _options;
    private readonly TokenSource _train;
    private readonly TokenSource _valid;
    private readonly IProgress<TrainingProgress>? _progress;

    /// <summary>Creates a speech prior trainer; does no work until <see cref="Run"/>.</summary>
    /// <exception cref="ArgumentException">Options out of range, no training speech, or a prior that does not fit the model.</exception>
    public PriorTrainer(SpeechModel model, PriorTrainingOptions options, IReadOnlyList<float[]> train, IReadOnlyList<float[]> valid, IProgress<TrainingProgress>? progress = null)
        : this(model, model?.Config.Levels ?? 0, model?.Config.CodebookSize ?? 0, () => Codebooks(model!.Network.Quantizer, model.Config.Levels), options, progress, ContextLayout.Sequence,
            Speech(model!, train, "training speech"), Speech(model!, valid, null))
    {
    }

    /// <summary>Creates an image prior trainer (a <see cref="ContextLayout.Grid"/> prior); does no work until <see cref="Run"/>.</summary>
    /// <exception cref="ArgumentException">Options out of range, no training images, or a prior that does not fit the model.</exception>
    public PriorTrainer(ImageModel model, PriorTrainingOptions options, IReadOnlyList<RgbImage> train, IReadOnlyList<RgbImage> valid, IProgress<TrainingProgress>? progress = null)
        : this(model, model?.Config.Levels ?? 0, model?.Config.CodebookSize ?? 0, () => Codebooks(model!.Network.Quantizer, model.Config.Levels), options, progress, ContextLayout.Grid,
            Images(model!, train, "training images"), Images(model!, valid, null))
    {
    }

    private PriorTrainer(LoadedModel model, int levels, int codebookSize, Func<IReadOnlyList<Tensor>> codebooks, PriorTrainingOptions options, IProgress<TrainingProgress>? progress, ContextLayout layout, TokenSource train, TokenSource valid)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Model.Levels != levels || options.Model.CodebookSize != codebookSize || options.Model.Layout != layout)
        {
            throw new ArgumentException($"the prior must cover the model's {levels} levels of {codebookSize} codes with a {layout.ToString().ToLowerInvariant()} context", nameof(options));
        }

        _model = model;
        _levels = levels;
        _codebooks = codebooks;
        _options = options;
        _train = train;
        _valid = valid;
        _progress = progress;
    }

    private bool Grid => _options.Model.Layout == ContextLayout.Grid;

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
        TokenGrid[] train = LoadOrEncode("train", _train, cancellationToken);
        TokenGrid[] valid = LoadOrEncode("valid", _valid, cancellationToken);
        long positions = train.Sum(t => (long)t.Height * t.Width);
        Report(state.Step, $"tokens of {train.Length} training {(Grid ? "images" : "files")} ({positions} {(Grid ? "positions" : "frames")}) and {valid.Length} validation ones ready in {clock.Elapsed.TotalSeconds:F0} s");

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
                net.InitializeFromCodebooks(_codebooks());
            }

            if (valid.Length > 0)
            {
                Report(0, Validate(net, valid));
            }
        }

        // Where a segment (or crop) can start: every frame of a long-enough file, every crop corner of a large-enough
        // grid; drawn uniformly, so files and images count in proportion to their size.
        int side = _options.SegmentFrames, cropWidth = Grid ? side : 1;
        int[] usable = Enumerable.Range(0, train.Length).Where(i => train[i].Height >= side && train[i].Width >= cropWidth).ToArray();
        if (usable.Length == 0)
        {
            throw new ArgumentException(Grid ? $"no training image has a token grid of {side} × {side}" : $"no training file has {side} frames");
        }

        long[] cumulative = new long[usable.Length];
        long total = 0;
        for (int i = 0; i < usable.Length; i++)
        {
            TokenGrid g = train[usable[i]];
            total += (long)(g.Height - side + 1) * (g.Width - cropWidth + 1);
            cumulative[i] = total;
        }

        TrainingSupport.RunLoop(_options, state.Step, net, optimizer, parameters, (step, rng) =>
        {
            int l = 1 + rng.Next(_levels);
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
        (ModelBundle bundle, ContextPrior prior, int step) = ModelWithPrior(modelFile, SpeechModel.PretrainedId, checkpointDirectory, ContextLayout.Sequence);
        var training = new Dictionary<string, string>(bundle.Description.Training)
        {
            ["prior"] = $"context prior {prior.Width} wide, {prior.ContextFrames} frames, {step} steps ({checkpointDirectory})",
        };
        var description = bundle.Description with { Id = id ?? bundle.Description.Id, Training = training };
        return ModelBundle.Serialize(description, bundle.Priors!.WithContext(prior), bundle.State);
    }

    /// <summary>
    /// The companion priors file (.vqpr) of the image model file <paramref name="modelFile"/> (null: the embedded
    /// one): the model's own token tables plus the grid prior of the checkpoint in <paramref name="checkpointDirectory"/>.
    /// The model file itself is unchanged, so its hash, and every file it wrote before, stay valid.
    /// </summary>
    /// <exception cref="ArgumentException">The prior was trained on another model's tokens or does not fit it.</exception>
    public static byte[] CompanionPriors(Stream? modelFile, string checkpointDirectory)
    {
        (ModelBundle bundle, ContextPrior prior, _) = ModelWithPrior(modelFile, ImageModel.PretrainedId, checkpointDirectory, ContextLayout.Grid);
        return bundle.Priors!.WithContext(prior).Serialize();
    }

    private static (ModelBundle Bundle, ContextPrior Prior, int Step) ModelWithPrior(Stream? modelFile, string embeddedId, string checkpointDirectory, ContextLayout layout)
    {
        byte[] file;
        using (Stream source = modelFile ?? LoadedModel.OpenEmbedded(embeddedId + ".vqm"))
        {
            file = LoadedModel.ReadAll(source);
        }

        (ModelBundle bundle, _) = ModelBundle.Parse(file);
        (ContextPrior prior, int step, string trainedOn) = Export(checkpointDirectory);
        (int levels, int k) = bundle.Description.Speech is { } sc ? (sc.Levels, sc.CodebookSize) : bundle.Description.Image is { } ic ? (ic.Levels, ic.CodebookSize) : (0, 0);
        string kind = layout == ContextLayout.Sequence ? "speech" : "image";
        if (bundle.Description.Kind != kind || bundle.Priors is null || prior.Layout != layout)
        {
            throw new ArgumentException($"model '{bundle.Description.Id}' is not {(kind == "image" ? "an" : "a")} {kind} model with token priors, or the prior in {checkpointDirectory} is not a {layout.ToString().ToLowerInvariant()} prior");
        }

        if (trainedOn != bundle.Description.Id || prior.Levels != levels || prior.CodebookSize != k)
        {
            throw new ArgumentException($"the prior in {checkpointDirectory} models the tokens of '{trainedOn}', not of '{bundle.Description.Id}'");
        }

        return (bundle, prior, step);
    }

    private static IReadOnlyList<Tensor> Codebooks(ResidualVq quantizer, int levels) => [.. Enumerable.Range(0, levels).Select(quantizer.Codebook)];

    private static TokenSource Speech(SpeechModel model, IReadOnlyList<float[]> signals, string? required)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(signals);
        if (required is not null && signals.Count == 0)
        {
            throw new ArgumentException($"no {required}", nameof(signals));
        }

        return new TokenSource(signals.Count, signals.Aggregate(17L, (h, s) => (h * 31) + s.Length), i =>
        {
            int[][] planes = SpeechCodec.EncodeTokens(model, signals[i]);
            return new TokenGrid(planes[0].Length, 1, PositionMajor(planes));
        });
    }

    private static TokenSource Images(ImageModel model, IReadOnlyList<RgbImage> images, string? required)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        if (required is not null && images.Count == 0)
        {
            throw new ArgumentException($"no {required}", nameof(images));
        }

        return new TokenSource(images.Count, images.Aggregate(19L, (h, im) => (((h * 31) + im.Width) * 31) + im.Height), i =>
        {
            RgbImage image = images[i];
            int[][] planes = ImageTiling.EncodeTokens(model, image, model.Config.Levels, new ImageEncodeOptions().TileSize, CancellationToken.None);
            (int height, int width) = ImageTiling.GridSize(image.Width, image.Height);
            return new TokenGrid(height, width, PositionMajor(planes));
        });
    }

    /// <summary>All levels of one token grid, position-major (positions × levels), as the cache holds them.</summary>
    private static short[] PositionMajor(int[][] planes)
    {
        int levels = planes.Length, positions = planes[0].Length;
        var grid = new short[positions * levels];
        for (int t = 0; t < positions; t++)
        {
            for (int l = 0; l < levels; l++)
            {
                grid[(t * levels) + l] = (short)planes[l][t];
            }
        }

        return grid;
    }

    private TokenGrid[] LoadOrEncode(string name, TokenSource source, CancellationToken cancellationToken)
    {
        // The cache is keyed by the model and the material's sizes, so other data or another model re-encodes.
        string path = Path.Combine(_options.OutputDirectory, $"tokens2-{name}-{Convert.ToHexString(_model.Hash, 0, 6).ToLowerInvariant()}-{source.Key & 0xFFFFFFFFFFFL:x}.bin");
        if (File.Exists(path))
        {
            byte[] bytes = File.ReadAllBytes(path);
            var cached = new List<TokenGrid>();
            int p = 0;
            while (p + 8 <= bytes.Length)
            {
                int n = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(p));
                int width = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(p + 4));
                p += 8;
                short[] grid = new short[n];
                Buffer.BlockCopy(bytes, p, grid, 0, 2 * n);
                p += 2 * n;
                cached.Add(new TokenGrid(n / _levels / width, width, grid));
            }

            if (cached.Count == source.Count)
            {
                return [.. cached];
            }
        }

        var result = new TokenGrid[source.Count];
        var ms = new MemoryStream();
        Span<byte> len = stackalloc byte[8];
        for (int i = 0; i < source.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result[i] = source.Encode(i);
            BinaryPrimitives.WriteInt32LittleEndian(len, result[i].Tokens.Length);
            BinaryPrimitives.WriteInt32LittleEndian(len[4..], result[i].Width);
            ms.Write(len);
            var raw = new byte[2 * result[i].Tokens.Length];
            Buffer.BlockCopy(result[i].Tokens, 0, raw, 0, raw.Length);
            ms.Write(raw);
            _progress?.Report(new TrainingProgress(0, _options.Steps, i % 100 == 99 ? $"{name}: tokens of {i + 1}/{source.Count}" : null));
        }

        File.WriteAllBytes(path + ".tmp", ms.ToArray());
        File.Move(path + ".tmp", path, overwrite: true);
        return result;
    }

    private Tensor SampleBatch(TokenGrid[] train, int[] usable, long[] cumulative, long total, int levels, Random rng)
    {
        int b = _options.BatchSize, side = _options.SegmentFrames, cropWidth = Grid ? side : 1;
        var data = new long[b * side * cropWidth * levels];
        for (int i = 0; i < b; i++)
        {
            long pick = rng.NextInt64(total);
            int f = Array.BinarySearch(cumulative, pick + 1);
            f = f >= 0 ? f : ~f;
            TokenGrid g = train[usable[f]];
            long corner = pick - (f == 0 ? 0 : cumulative[f - 1]);
            int columns = g.Width - cropWidth + 1;
            CopyCrop(g, (int)(corner / columns), (int)(corner % columns), side, cropWidth, levels, data.AsSpan(i * side * cropWidth * levels));
        }

        return Grid ? torch.tensor(data, [b, side, side, levels]) : torch.tensor(data, [b, side, levels]);
    }

    /// <summary>Rows [y, y + height) and columns [x, x + width) of a grid, levels 0..levels−1, position-major into <paramref name="into"/>.</summary>
    private void CopyCrop(TokenGrid g, int y, int x, int height, int width, int levels, Span<long> into)
    {
        int i = 0;
        for (int r = 0; r < height; r++)
        {
            for (int c = 0; c < width; c++)
            {
                int at = (((y + r) * g.Width) + x + c) * _levels;
                for (int l = 0; l < levels; l++)
                {
                    into[i++] = g.Tokens[at + l];
                }
            }
        }
    }

    private static Tensor Loss(TokenPriorNet net, Tensor batch, int levels)
    {
        Tensor logits = net.forward(batch, levels);
        return nn.functional.cross_entropy(logits.reshape(-1, net.Config.CodebookSize), batch.reshape(-1));
    }

    /// <summary>Bits per token on the validation material at a few level counts (float network): speech cut into segments, images whole.</summary>
    private string Validate(TokenPriorNet net, TokenGrid[] valid)
    {
        using var noGrad = torch.no_grad();
        int t = _options.SegmentFrames;
        var parts = new List<string>();
        foreach (int levels in Grid ? [1, 2, 4, 16] : (int[])[2, 6, 16])
        {
            double bits = 0;
            long count = 0;
            foreach (TokenGrid g in valid)
            {
                using var scope = NewDisposeScope();
                int segments = Grid ? 1 : g.Height / t, height = Grid ? g.Height : t;
                if (segments == 0)
                {
                    continue;
                }

                var data = new long[segments * height * g.Width * levels];
                CopyCrop(g, 0, 0, segments * height, g.Width, levels, data);
                Tensor batch = Grid ? torch.tensor(data, [1, g.Height, g.Width, levels]) : torch.tensor(data, [segments, t, levels]);
                Tensor logits = net.forward(batch, levels);
                bits += nn.functional.cross_entropy(logits.reshape(-1, net.Config.CodebookSize), batch.reshape(-1), reduction: nn.Reduction.Sum).item<float>() / Math.Log(2);
                count += data.Length;
            }

            parts.Add($"L{levels} {bits / Math.Max(count, 1):F3}");
        }

        return $"valid bits/token (float): {string.Join(", ", parts)}";
    }

    /// <summary>One file's or image's tokens: Height × Width positions (speech: frames × 1), all levels, position-major.</summary>
    private sealed record TokenGrid(int Height, int Width, short[] Tokens);

    /// <summary>Material to encode: its count, a key of its sizes (for the cache name), and the encoder of item i.</summary>
    private sealed record TokenSource(int Count, long Key, Func<int, TokenGrid> Encode);

    private sealed record State
    {
        public int Step { get; init; }

        public required ContextPriorConfig Config { get; init; }

        public required string Model { get; init; }
    }
}
