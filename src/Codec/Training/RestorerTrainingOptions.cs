using VqCodec.Codec.Models;

namespace VqCodec.Codec.Training;

/// <summary>Options of <see cref="RestorerTrainer"/>.</summary>
public sealed class RestorerTrainingOptions
{
    /// <summary>Folder for checkpoints, cached base images and logs; a run resumes from the checkpoint found there.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Total optimisation steps (the length of the learning-rate schedule).</summary>
    public int Steps { get; init; } = 6000;

    /// <summary>Stop (after a checkpoint) at this step without changing the schedule; null runs to <see cref="Steps"/>.</summary>
    public int? StopAt { get; init; }

    /// <summary>Crops per batch.</summary>
    public int BatchSize { get; init; } = 12;

    /// <summary>Crop side in pixels (a multiple of 8).</summary>
    public int CropSize { get; init; } = 96;

    /// <summary>Peak Adam learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Smallest and largest detail-layer luma step drawn for a crop (log-uniform).</summary>
    public double MinStep { get; init; } = 12;

    /// <inheritdoc cref="MinStep"/>
    public double MaxStep { get; init; } = 180;

    /// <summary>Token levels of the base image (the codec's detail-layer base).</summary>
    public int BaseLevels { get; init; } = 2;

    /// <summary>Network architecture (a resumed run keeps the checkpoint's).</summary>
    public RestorerConfig Model { get; init; } = new();

    /// <summary>Seed of every random choice.</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>Steps between validation passes.</summary>
    public int ValidateEvery { get; init; } = 250;

    /// <summary>Steps between checkpoints.</summary>
    public int CheckpointEvery { get; init; } = 250;

    /// <summary>Torch intra-op threads (0 = library default).</summary>
    public int Threads { get; init; }

    internal int StopStep => Math.Min(Steps, StopAt ?? int.MaxValue);

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        Model.Validate();
        if (Steps < 1 || StopAt < 1 || BatchSize < 1 || CropSize < 16 || CropSize % 8 != 0 || LearningRate <= 0
            || !(MinStep >= 1) || !(MaxStep >= MinStep) || BaseLevels < 1 || ValidateEvery < 1 || CheckpointEvery < 1)
        {
            throw new ArgumentException("Restorer training options out of range (steps, batch, crop a multiple of 8, learning rate, steps 1 <= min <= max, levels, intervals).");
        }
    }
}
