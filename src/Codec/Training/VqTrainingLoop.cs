using System.Diagnostics;
using TorchSharp;
using VqCodec.Codec.Models;
using static TorchSharp.torch;

namespace VqCodec.Codec.Training;

/// <summary>What a VQ-VAE trainer supplies to <see cref="VqTrainingLoop"/>: its data, network and losses.</summary>
internal interface IVqTrainingTask
{
    /// <summary>The network being trained (its quantizer included).</summary>
    nn.Module Network { get; }

    /// <summary>The residual quantizer inside <see cref="Network"/>.</summary>
    ResidualVq Quantizer { get; }

    /// <summary>Latent rows one batch yields (the k-means sample weighting).</summary>
    int RowsPerBatch { get; }

    /// <summary>A training batch; every random choice comes from <paramref name="rng"/>.</summary>
    Tensor Sample(Random rng);

    /// <summary>Input batch → latent.</summary>
    Tensor Encode(Tensor x);

    /// <summary>Latent → reconstruction.</summary>
    Tensor Decode(Tensor z);

    /// <summary>Latent → rows [N, D] (example-major).</summary>
    Tensor ToRows(Tensor z);

    /// <summary>Rows → a latent shaped like <paramref name="like"/>.</summary>
    Tensor FromRows(Tensor rows, Tensor like);

    /// <summary>The reconstruction loss and a log fragment describing it (evaluated only when logged).</summary>
    (Tensor Loss, Func<string> Describe) Loss(Tensor x, Tensor xHat);

    /// <summary>A new discriminator for the optional adversarial loss.</summary>
    PatchDiscriminator CreateDiscriminator();

    /// <summary>What the discriminator sees of a signal.</summary>
    Tensor DiscriminatorInput(Tensor x);

    /// <summary>Validates the network (in eval mode, without gradients) and returns the log line, or null without validation data.</summary>
    string? Validate();
}

/// <summary>
/// The training loop both VQ-VAE trainers share: phase 1 (warm-up) trains the autoencoder without
/// quantization and collects the latents of its last 32 steps; at its end every RVQ level is initialised
/// by k-means; phase 2 trains with EMA codebooks, dead-code restart and per-example quantizer dropout.
/// Step-seeded sampling makes a resumed run replay exactly; checkpoints are written atomically.
/// </summary>
internal static class VqTrainingLoop
{
    public static void Run<TState>(VqTrainingOptions options, IVqTrainingTask task, int startStep, Func<int, TState> stateAt, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        void Report(int step, string message) => progress?.Report(new TrainingProgress(step, options.Steps, message));
        double Lr(int step) => TrainingSupport.LearningRate(options.LearningRate, step, options.Steps);

        nn.Module model = task.Network;
        var parameters = model.parameters().ToList();
        using var optimizer = torch.optim.Adam(parameters, options.LearningRate, beta1: 0.9, beta2: 0.99);
        using PatchDiscriminator? disc = options.GanWeight > 0 ? task.CreateDiscriminator() : null;
        using var discOptimizer = disc is null ? null : torch.optim.Adam(disc.parameters(), options.LearningRate, beta1: 0.5, beta2: 0.9);
        string ckpt = Path.Combine(options.OutputDirectory, TrainingSupport.CheckpointName);
        if (startStep > 0)
        {
            TrainingSupport.LoadCheckpoint(ckpt, model, optimizer, disc);
            Report(startStep, $"resumed from step {startStep}");
        }

        var collected = new List<Tensor>();
        var clock = Stopwatch.StartNew();
        double emaLoss = double.NaN;
        int stop = options.StopStep;
        int levels = task.Quantizer.Levels;
        model.train();
        for (int step = startStep; step < stop; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rng = new Random(TrainingSupport.StepSeed(options.Seed, step));
            using var generator = new Generator((ulong)(uint)TrainingSupport.StepSeed(options.Seed, step, 17));
            TrainingSupport.SetLearningRate(optimizer, Lr(step));
            using var scope = NewDisposeScope();
            Tensor x = task.Sample(rng);
            bool warm = step < options.WarmupSteps;
            Tensor z = task.Encode(x);
            Tensor commit = torch.zeros(1);
            Tensor xHat;
            if (warm)
            {
                xHat = task.Decode(z);
                if (step >= options.WarmupSteps - 32)
                {
                    collected.Add(task.ToRows(z).detach().clone().MoveToOuterDisposeScope());
                }
            }
            else
            {
                Tensor rows = task.ToRows(z);
                Tensor mask = TrainingSupport.DropoutMask(levels, x.shape[0], rows.shape[0] / x.shape[0], generator);
                RvqOutput q = task.Quantizer.Forward(rows, mask, options.Estimator, update: true, generator);
                commit = q.CommitLoss;
                xHat = task.Decode(task.FromRows(q.Quantized, z));
            }

            (Tensor reconstruction, Func<string> describe) = task.Loss(x, xHat);
            Tensor loss = reconstruction + (commit * options.CommitmentWeight);
            if (disc is not null && !warm)
            {
                loss = loss + (PatchDiscriminator.GeneratorLoss(disc.forward(task.DiscriminatorInput(xHat))) * options.GanWeight);
            }

            optimizer.zero_grad();
            loss.backward();
            torch.nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            if (disc is not null && discOptimizer is not null && !warm)
            {
                discOptimizer.zero_grad();
                Tensor dLoss = PatchDiscriminator.DiscriminatorLoss(disc.forward(task.DiscriminatorInput(x)), disc.forward(task.DiscriminatorInput(xHat.detach())));
                dLoss.backward();
                discOptimizer.step();
            }

            double lossValue = loss.item<float>();
            emaLoss = TrainingSupport.TrackLoss(lossValue, emaLoss, step, options.WarmupSteps, ckpt);
            int done = step + 1;
            if (step == options.WarmupSteps - 1)
            {
                Report(done, TrainingSupport.InitialiseCodebooks(task.Quantizer, collected, task.RowsPerBatch, options.Seed));
            }

            if (done % 25 == 0)
            {
                double rate = (done - startStep) / clock.Elapsed.TotalSeconds;
                Report(done, $"step {done} loss {lossValue:F5} (avg {emaLoss:F5}) {describe()} commit {commit.item<float>():F5} lr {Lr(step):G3} {rate:F2} steps/s{(warm ? " [warm-up]" : string.Empty)}");
            }
            else
            {
                progress?.Report(new TrainingProgress(done, options.Steps, null));
            }

            if (!warm && (done % options.ValidateEvery == 0 || done == stop))
            {
                model.eval();
                using (torch.no_grad())
                {
                    if (task.Validate() is { } line)
                    {
                        Report(done, line);
                    }
                }

                Report(done, TrainingSupport.Utilisation(task.Quantizer));
                model.train();
            }

            if (done % options.CheckpointEvery == 0 || done == stop)
            {
                TrainingSupport.SaveCheckpoint(options.OutputDirectory, stateAt(done), model, optimizer, disc);
                Report(done, $"checkpoint at step {done}");
            }
        }
    }
}
