using VqCodec.Codec.Models;

namespace VqCodec.Codec.Training;

/// <summary>Options of <see cref="ImageTrainer"/>. Defaults are the ones the shipped model was trained with.</summary>
public sealed class ImageTrainingOptions
{
    /// <summary>Folder for checkpoints and logs; a run resumes from the checkpoint found there.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Architecture (ignored when resuming: the checkpoint's configuration wins).</summary>
    public ImageModelConfig Model { get; init; } = new();

    /// <summary>Total optimisation steps.</summary>
    public int Steps { get; init; } = 20000;

    /// <summary>Stop (with a checkpoint) at this step without changing the learning-rate schedule; resume later.</summary>
    public int? StopAt { get; init; }

    /// <summary>Crops per batch.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Square crop size in pixels (multiple of 16).</summary>
    public int CropSize { get; init; } = 128;

    /// <summary>Peak Adam learning rate.</summary>
    public double LearningRate { get; init; } = 4e-4;

    /// <summary>Autoencoder-only steps before the codebooks are initialised by k-means on latents.</summary>
    public int WarmupSteps { get; init; } = 400;

    /// <summary>Commitment loss weight β.</summary>
    public double CommitmentWeight { get; init; } = 0.02;

    /// <summary>Gradient estimator through the quantizer.</summary>
    public GradientEstimator Estimator { get; init; } = GradientEstimator.StraightThrough;

    /// <summary>Weight of the VQ-GAN adversarial loss; 0 (the PSNR-tuned default) disables the discriminator.</summary>
    public double GanWeight { get; init; }

    /// <summary>Seed of every random choice (crops, dropout, restarts).</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>Steps between validation passes.</summary>
    public int ValidateEvery { get; init; } = 500;

    /// <summary>Steps between checkpoints.</summary>
    public int CheckpointEvery { get; init; } = 250;

    /// <summary>Level counts at which validation PSNR is reported.</summary>
    public int[] ValidationLevels { get; init; } = [1, 2, 4, 8, 16];

    /// <summary>Torch intra-op threads (0 = library default).</summary>
    public int Threads { get; init; }

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        Model.Validate();
        if (Steps < 1 || BatchSize < 1 || CropSize < 16 || CropSize % 16 != 0 || LearningRate <= 0 || WarmupSteps < 1 || ValidateEvery < 1 || CheckpointEvery < 1)
        {
            throw new ArgumentException("Training options out of range (steps, batch, crop size multiple of 16, learning rate, warm-up, intervals).");
        }
    }
}
