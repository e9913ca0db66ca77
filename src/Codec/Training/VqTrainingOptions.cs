using VqCodec.Codec.Models;

namespace VqCodec.Codec.Training;

/// <summary>Options every VQ-VAE trainer shares: run folder, schedule, quantizer training, logging and checkpoints.</summary>
public abstract class VqTrainingOptions
{
    /// <summary>Folder for checkpoints and logs; a run resumes from the checkpoint found there.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Total optimisation steps (the length of the learning-rate schedule).</summary>
    public int Steps { get; init; }

    /// <summary>Stop (after a checkpoint) at this step without changing the schedule, to train in slices; null runs to <see cref="Steps"/>.</summary>
    public int? StopAt { get; init; }

    /// <summary>Training examples (crops or clips) per batch.</summary>
    public int BatchSize { get; init; }

    /// <summary>Peak Adam learning rate.</summary>
    public double LearningRate { get; init; }

    /// <summary>Autoencoder-only steps before the codebooks are initialised by k-means on latents.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Commitment loss weight β.</summary>
    public double CommitmentWeight { get; init; } = 0.02;

    /// <summary>Gradient estimator through the quantizer.</summary>
    public GradientEstimator Estimator { get; init; } = GradientEstimator.StraightThrough;

    /// <summary>Weight of the adversarial loss of a patch discriminator; 0 (the default) disables it.</summary>
    public double GanWeight { get; init; }

    /// <summary>Seed of every random choice (examples, dropout, restarts).</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>Steps between validation passes.</summary>
    public int ValidateEvery { get; init; } = 500;

    /// <summary>Steps between checkpoints.</summary>
    public int CheckpointEvery { get; init; } = 250;

    /// <summary>Level counts at which validation metrics are reported.</summary>
    public int[] ValidationLevels { get; init; } = [];

    /// <summary>Torch intra-op threads (0 = library default).</summary>
    public int Threads { get; init; }

    /// <summary>The step at which this run stops.</summary>
    internal int StopStep => Math.Min(Steps, StopAt ?? int.MaxValue);

    /// <summary>Throws when a shared option is out of range.</summary>
    protected void ValidateShared()
    {
        if (Steps < 1 || StopAt < 1 || BatchSize < 1 || LearningRate <= 0 || WarmupSteps < 1 || ValidateEvery < 1 || CheckpointEvery < 1 || CommitmentWeight < 0 || GanWeight < 0)
        {
            throw new ArgumentException("Training options out of range (steps, stop step, batch, learning rate, warm-up, intervals, non-negative weights).");
        }
    }
}
