using System.Text.Json;
using TorchSharp;
using VqCodec.Codec.Models;
using static TorchSharp.torch;

namespace VqCodec.Codec.Training;

/// <summary>Pieces shared by the image and speech trainers: schedule, checkpoints, dropout masks, codebook health.</summary>
internal static class TrainingSupport
{
    /// <summary>
    /// The seed of training step <paramref name="step"/>'s random draws: the same in every process, so a run and its
    /// resumption draw the same batches (it was <c>HashCode.Combine</c>, which .NET seeds randomly per process).
    /// SplitMix64's finaliser over the run seed, the step and a <paramref name="salt"/> for a second stream.
    /// </summary>
    public static int StepSeed(int seed, int step, int salt = 0)
    {
        ulong z = unchecked(((ulong)(uint)seed << 32) + (uint)step + ((ulong)(uint)salt * 0x9E3779B97F4A7C15UL));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return (int)(uint)(z ^ (z >> 31));
    }

    public const string CheckpointName = "checkpoint";

    /// <summary>Linear warm-up over 200 steps, then cosine decay to 10 % of the peak at <paramref name="steps"/>.</summary>
    public static double LearningRate(double peak, int step, int steps)
    {
        if (step < 200)
        {
            return peak * (step + 1) / 200.0;
        }

        double t = Math.Clamp((step - 200) / (double)Math.Max(1, steps - 200), 0, 1);
        return peak * (0.1 + (0.9 * 0.5 * (1 + Math.Cos(Math.PI * t))));
    }

    public static void SetLearningRate(TorchSharp.Modules.OptimizerHelper optimizer, double lr)
    {
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = lr;
        }
    }

    /// <summary>Per-item number of active levels, uniform in [1, L], repeated for the item's rows: [batch·rows, L].</summary>
    public static Tensor DropoutMask(int levels, long batch, long rowsPerItem, Generator generator)
    {
        Tensor n = torch.randint(1, levels + 1, [batch], generator: generator);
        Tensor lv = torch.arange(levels).unsqueeze(0);
        Tensor mask = (lv < n.unsqueeze(1)).to_type(ScalarType.Float32);
        return mask.repeat_interleave(rowsPerItem, 0);
    }

    /// <summary>
    /// Updates the running loss average (restarted when quantization starts) and throws when the loss is
    /// not finite or exceeds 50 times the average after the first 50 quantized steps.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss diverged.</exception>
    public static double TrackLoss(double loss, double average, int step, int warmupSteps, string checkpoint)
    {
        if (!double.IsFinite(loss) || (!double.IsNaN(average) && step > warmupSteps + 50 && loss > 50 * average))
        {
            throw new TrainingDivergedException($"Training diverged at step {step}: loss {loss:G4} (running average {average:G4}). The last good checkpoint is in {checkpoint}.");
        }

        return double.IsNaN(average) || step == warmupSteps ? loss : (0.98 * average) + (0.02 * loss);
    }

    /// <summary>
    /// Starts or resumes a run: torch threads and seed, the run folder, and the checkpoint's state (or
    /// <paramref name="fresh"/> when there is none). Returns the checkpoint folder's path with the state.
    /// </summary>
    public static (string Checkpoint, TState State) StartRun<TState>(TrainingRunOptions options, Func<TState> fresh)
        where TState : class
    {
        NativeRuntime.Prepare();
        if (options.Threads > 0)
        {
            torch.set_num_threads(options.Threads);
        }

        Directory.CreateDirectory(options.OutputDirectory);
        torch.manual_seed(options.Seed);
        return (Path.Combine(options.OutputDirectory, CheckpointName), LoadState<TState>(options.OutputDirectory) ?? fresh());
    }

    /// <summary>
    /// The optimisation loop of the trainers that have no quantizer schedule (restorer, token prior): per step a
    /// step-seeded random source, the cosine learning rate, <paramref name="lossOf"/>, backward, gradient clipping at
    /// 1.0 and Adam; a log line every 25 steps (from the loss's own <c>Describe</c>), validation and checkpoints at
    /// their intervals and at the stop step. Throws <see cref="TrainingDivergedException"/> on a diverging loss.
    /// </summary>
    public static void RunLoop(
        TrainingRunOptions options,
        int startStep,
        nn.Module net,
        TorchSharp.Modules.OptimizerHelper optimizer,
        IEnumerable<TorchSharp.Modules.Parameter> parameters,
        Func<int, Random, (Tensor Loss, Func<double, double, string> Describe)> lossOf,
        Func<string>? validate,
        Action<int> checkpoint,
        IProgress<TrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        string ckpt = Path.Combine(options.OutputDirectory, CheckpointName);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double average = double.NaN;
        int stop = options.StopStep;
        net.train();
        for (int step = startStep; step < stop; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rng = new Random(StepSeed(options.Seed, step));
            double lr = LearningRate(options.LearningRate, step, options.Steps);
            SetLearningRate(optimizer, lr);
            using var scope = NewDisposeScope();
            (Tensor loss, Func<double, double, string> describe) = lossOf(step, rng);
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            double value = loss.item<float>();
            average = TrackLoss(value, average, step, 0, ckpt);
            int done = step + 1;
            string? line = done % 25 == 0
                ? $"step {done} {describe(value, average)} lr {lr:G3} {(done - startStep) / clock.Elapsed.TotalSeconds:F2} steps/s"
                : null;
            progress?.Report(new TrainingProgress(done, options.Steps, line));
            if (validate is not null && (done % options.ValidateEvery == 0 || done == stop))
            {
                net.eval();
                progress?.Report(new TrainingProgress(done, options.Steps, validate()));
                net.train();
            }

            if (done % options.CheckpointEvery == 0 || done == stop)
            {
                checkpoint(done);
                progress?.Report(new TrainingProgress(done, options.Steps, $"checkpoint at step {done}"));
            }
        }
    }

    /// <summary>
    /// Initialises every RVQ level by k-means on the latents collected during warm-up (then disposes and
    /// clears them); returns the progress message.
    /// </summary>
    public static string InitialiseCodebooks(ResidualVq quantizer, List<Tensor> collected, int rowsPerBatch, int seed)
    {
        using (var scope = NewDisposeScope())
        {
            Tensor all = torch.cat(collected, 0);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            using var generator = new Generator((ulong)seed);
            quantizer.InitializeKMeans(all, 12, (double)rowsPerBatch / all.shape[0], generator);
            string message = $"k-means initialised {quantizer.Levels} levels x {quantizer.CodebookSize} codes on {all.shape[0]} latents in {sw.Elapsed.TotalSeconds:F1} s";
            foreach (Tensor t in collected)
            {
                t.Dispose();
            }

            collected.Clear();
            return message;
        }
    }

    /// <summary>Throws unless there are training images and every one holds a crop of <paramref name="crop"/> pixels.</summary>
    /// <exception cref="ArgumentException">No images, or one smaller than a crop.</exception>
    public static void CheckImages(IReadOnlyList<Image.RgbImage> train, int crop)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0)
        {
            throw new ArgumentException("No training images.", nameof(train));
        }

        if (train.Any(i => i.Width < crop || i.Height < crop))
        {
            throw new ArgumentException($"Every training image must be at least {crop} pixels on each side.", nameof(train));
        }
    }

    /// <summary>Reads the trainer state of the checkpoint in <paramref name="outputDirectory"/>, or null.</summary>
    public static T? LoadState<T>(string outputDirectory)
        where T : class
    {
        string path = Path.Combine(outputDirectory, CheckpointName, "state.json");
        return File.Exists(path) ? JsonSerializer.Deserialize<T>(File.ReadAllText(path)) : null;
    }

    /// <summary>Writes a checkpoint of the model, its optimizer and (when there is one) the discriminator.</summary>
    public static void SaveCheckpoint<T>(string outputDirectory, T state, nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer, nn.Module? discriminator) =>
        SaveCheckpoint(outputDirectory, state, dir =>
        {
            model.save(Path.Combine(dir, "model.bin"));
            optimizer.save_state_dict(Path.Combine(dir, "optim.bin"));
            discriminator?.save(Path.Combine(dir, "disc.bin"));
        });

    /// <summary>Loads the weights and optimizer state of <see cref="SaveCheckpoint{T}(string, T, nn.Module, TorchSharp.Modules.OptimizerHelper, nn.Module?)"/> from <paramref name="checkpoint"/>.</summary>
    public static void LoadCheckpoint(string checkpoint, nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer, nn.Module? discriminator)
    {
        model.load(Path.Combine(checkpoint, "model.bin"));
        optimizer.load_state_dict(Path.Combine(checkpoint, "optim.bin"));
        if (discriminator is not null && File.Exists(Path.Combine(checkpoint, "disc.bin")))
        {
            discriminator.load(Path.Combine(checkpoint, "disc.bin"));
        }
    }

    /// <summary>The architecture, step and weights path of a checkpoint folder, for export.</summary>
    /// <exception cref="FileNotFoundException">The folder holds no checkpoint.</exception>
    public static (TConfig Config, int Step, string Weights) ReadCheckpoint<TConfig>(string checkpointDirectory)
    {
        string statePath = Path.Combine(checkpointDirectory, "state.json");
        string weights = Path.Combine(checkpointDirectory, "model.bin");
        if (!File.Exists(statePath) || !File.Exists(weights))
        {
            throw new FileNotFoundException($"no checkpoint in {checkpointDirectory} (state.json and model.bin expected)");
        }

        using JsonDocument state = JsonDocument.Parse(File.ReadAllText(statePath));
        TConfig config = state.RootElement.GetProperty("Config").Deserialize<TConfig>() ?? throw new InvalidDataException("checkpoint has no model configuration");
        return (config, state.RootElement.GetProperty("Step").GetInt32(), weights);
    }

    /// <summary>
    /// Writes a checkpoint: <paramref name="writeFiles"/> fills a temporary folder that is then swapped in,
    /// so an interrupted save never loses the last checkpoint.
    /// </summary>
    public static void SaveCheckpoint<T>(string outputDirectory, T state, Action<string> writeFiles)
    {
        string final = Path.Combine(outputDirectory, CheckpointName);
        string tmp = final + ".tmp";
        string old = final + ".old";
        if (Directory.Exists(tmp))
        {
            Directory.Delete(tmp, true);
        }

        Directory.CreateDirectory(tmp);
        writeFiles(tmp);
        File.WriteAllText(Path.Combine(tmp, "state.json"), JsonSerializer.Serialize(state));
        if (Directory.Exists(old))
        {
            Directory.Delete(old, true);
        }

        if (Directory.Exists(final))
        {
            Directory.Move(final, old);
        }

        Directory.Move(tmp, final);
        if (Directory.Exists(old))
        {
            Directory.Delete(old, true);
        }
    }

    /// <summary>One line of per-level codebook utilisation (codes above 3 % of the mean count) and perplexity.</summary>
    public static string Utilisation(ResidualVq quantizer)
    {
        float[,] counts = quantizer.UsageCounts();
        int levels = counts.GetLength(0), k = counts.GetLength(1);
        var parts = new List<string>();
        for (int l = 0; l < levels; l++)
        {
            double total = 0;
            for (int i = 0; i < k; i++)
            {
                total += counts[l, i];
            }

            int used = 0;
            double entropy = 0;
            for (int i = 0; i < k; i++)
            {
                double p = counts[l, i] / total;
                if (counts[l, i] > 0.03 * total / k)
                {
                    used++;
                }

                if (p > 0)
                {
                    entropy -= p * Math.Log(p);
                }
            }

            parts.Add($"L{l + 1}:{100.0 * used / k:F0}%/ppl{Math.Exp(entropy):F0}");
        }

        return "codebook utilisation/perplexity (EMA): " + string.Join(' ', parts);
    }
}
