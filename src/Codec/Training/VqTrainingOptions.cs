using VqCodec.Codec.Models;

namespace VqCodec.Codec.Training;

/// <summary>Options every VQ-VAE trainer shares: run folder, schedule, quantizer training, logging and checkpoints.</summary>
public abstract class VqTrainingOptions : TrainingRunOptions
{
    /// <summary>Sets the VQ trainers' validation interval.</summary>
    protected VqTrainingOptions()
    {
        ValidateEvery = 500;
    }

    /// <summary>Autoencoder-only steps before the codebooks are initialised by k-means on latents.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Commitment loss weight β.</summary>
    public double CommitmentWeight { get; init; } = 0.02;

    /// <summary>Gradient estimator through the quantizer.</summary>
    public GradientEstimator Estimator { get; init; } = GradientEstimator.StraightThrough;

    /// <summary>Weight of the adversarial loss of a patch discriminator; 0 (the default) disables it.</summary>
    public double GanWeight { get; init; }

    /// <summary>Level counts at which validation metrics are reported.</summary>
    public int[] ValidationLevels { get; init; } = [];

    /// <summary>Throws when a shared option is out of range.</summary>
    protected void ValidateShared()
    {
        if (!SharedOptionsValid || WarmupSteps < 1 || CommitmentWeight < 0 || GanWeight < 0)
        {
            throw new ArgumentException("Training options out of range (steps, stop step, batch, learning rate, warm-up, intervals, non-negative weights).");
        }
    }
}
