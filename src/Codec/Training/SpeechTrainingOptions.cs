using VqCodec.Codec.Models;

namespace VqCodec.Codec.Training;

/// <summary>Options of <see cref="SpeechTrainer"/>. Defaults are the ones the shipped model was trained with.</summary>
public sealed class SpeechTrainingOptions : VqTrainingOptions
{
    /// <summary>Creates options with the speech defaults.</summary>
    public SpeechTrainingOptions()
    {
        Steps = 8000;
        BatchSize = 12;
        LearningRate = 6e-4;
        WarmupSteps = 300;
        ValidationLevels = [2, 4, 6, 8, 12, 16];
    }

    /// <summary>Architecture (ignored when resuming: the checkpoint's configuration wins).</summary>
    public SpeechModelConfig Model { get; init; } = new();

    /// <summary>Clip length in token frames (64 frames = 1.28 s at 16 kHz).</summary>
    public int ClipFrames { get; init; } = 64;

    /// <summary>Weight of the multi-resolution log-magnitude STFT loss (the mel loss has weight 1).</summary>
    public double StftWeight { get; init; } = 0.5;

    /// <summary>Weight of the power-law compressed magnitude-and-phase spectral loss.</summary>
    public double CompressedWeight { get; init; }

    /// <summary>Weight of the differentiable STOI-style band-envelope correlation loss.</summary>
    public double IntelligibilityWeight { get; init; }

    /// <summary>Weight of the complex (phase-sensitive) part of the compressed loss; 0.3 in v1, 0 for a phase-continuous model.</summary>
    public double CompressedPhaseWeight { get; init; } = 0.3;

    /// <summary>Weight of the fine-resolution (1024/2048-point) log-magnitude loss that resolves harmonics (0 = off, as in v1).</summary>
    public double FineStftWeight { get; init; }

    /// <summary>
    /// A shipped model file (.vqm) whose weights start a new run (its encoder, codebooks and decoder; with
    /// <see cref="SpeechModelConfig.CumulativePhase"/> the phase head starts at zero). The run begins after the
    /// warm-up, so the codebooks are not re-initialised. Ignored when the run folder has a checkpoint.
    /// </summary>
    public string? InitFrom { get; init; }

    /// <summary>Weight of the waveform L1 loss.</summary>
    public double WaveformWeight { get; init; } = 1.0;

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        Model.Validate();
        ValidateShared();
        if (ClipFrames < 4 || ClipFrames > 4096 || CompressedWeight < 0 || IntelligibilityWeight < 0 || StftWeight < 0 || WaveformWeight < 0 || CompressedPhaseWeight < 0 || FineStftWeight < 0)
        {
            throw new ArgumentException("Training options out of range (clip frames 4..4096, non-negative weights).");
        }
    }
}
