using VqCodec.Codec.Models;

namespace VqCodec.Codec.Training;

/// <summary>Options of <see cref="SpeechTrainer"/>. Defaults are the ones the shipped model was trained with.</summary>
public sealed class SpeechTrainingOptions
{
    /// <summary>Folder for checkpoints and logs; a run resumes from the checkpoint found there.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Architecture (ignored when resuming: the checkpoint's configuration wins).</summary>
    public SpeechModelConfig Model { get; init; } = new();

    /// <summary>Total optimisation steps.</summary>
    public int Steps { get; init; } = 8000;

    /// <summary>Stop (after a checkpoint) at this step without changing the schedule, to train in slices; null runs to <see cref="Steps"/>.</summary>
    public int? StopAt { get; init; }

    /// <summary>Clips per batch.</summary>
    public int BatchSize { get; init; } = 12;

    /// <summary>Clip length in token frames (64 frames = 1.28 s at 16 kHz).</summary>
    public int ClipFrames { get; init; } = 64;

    /// <summary>Peak Adam learning rate.</summary>
    public double LearningRate { get; init; } = 6e-4;

    /// <summary>Autoencoder-only steps before the codebooks are initialised by k-means on latents.</summary>
    public int WarmupSteps { get; init; } = 300;

    /// <summary>Commitment loss weight β.</summary>
    public double CommitmentWeight { get; init; } = 0.02;

    /// <summary>Weight of the multi-resolution log-magnitude STFT loss (the mel loss has weight 1).</summary>
    public double StftWeight { get; init; } = 0.5;

    /// <summary>Weight of the power-law compressed magnitude-and-phase spectral loss.</summary>
    public double CompressedWeight { get; init; }

    /// <summary>Weight of the differentiable STOI-style band-envelope correlation loss.</summary>
    public double IntelligibilityWeight { get; init; }

    /// <summary>Weight of the waveform L1 loss.</summary>
    public double WaveformWeight { get; init; } = 1.0;

    /// <summary>Gradient estimator through the quantizer.</summary>
    public GradientEstimator Estimator { get; init; } = GradientEstimator.StraightThrough;

    /// <summary>Weight of the optional adversarial loss (a patch discriminator on log-mel spectrograms); 0 disables it.</summary>
    public double GanWeight { get; init; }

    /// <summary>Seed of every random choice (clips, gains, dropout, restarts).</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>Steps between validation passes.</summary>
    public int ValidateEvery { get; init; } = 500;

    /// <summary>Steps between checkpoints.</summary>
    public int CheckpointEvery { get; init; } = 250;

    /// <summary>Level counts at which validation metrics are reported.</summary>
    public int[] ValidationLevels { get; init; } = [2, 4, 6, 8, 12, 16];

    /// <summary>Torch intra-op threads (0 = library default).</summary>
    public int Threads { get; init; }

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        Model.Validate();
        if (Steps < 1 || BatchSize < 1 || ClipFrames < 4 || ClipFrames > 4096 || LearningRate <= 0 || WarmupSteps < 1 || ValidateEvery < 1 || CheckpointEvery < 1
            || CommitmentWeight < 0 || CompressedWeight < 0 || IntelligibilityWeight < 0 || StftWeight < 0 || WaveformWeight < 0 || GanWeight < 0)
        {
            throw new ArgumentException("Training options out of range (steps, batch, clip frames 4..4096, learning rate, warm-up, intervals, non-negative weights).");
        }
    }
}
