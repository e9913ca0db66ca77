namespace VqCodec.Codec.Training;

/// <summary>Options every trainer shares: run folder, schedule, batch, seed, validation and checkpoint intervals, threads.</summary>
public abstract class TrainingRunOptions
{
    /// <summary>Folder for checkpoints and logs; a run resumes from the checkpoint found there.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Total optimisation steps (the length of the learning-rate schedule).</summary>
    public int Steps { get; init; }

    /// <summary>Stop (after a checkpoint) at this step without changing the schedule, to train in slices; null runs to <see cref="Steps"/>.</summary>
    public int? StopAt { get; init; }

    /// <summary>Training examples (crops, clips or segments) per batch.</summary>
    public int BatchSize { get; init; }

    /// <summary>Peak Adam learning rate.</summary>
    public double LearningRate { get; init; }

    /// <summary>Seed of every random choice.</summary>
    public int Seed { get; init; } = 1234;

    /// <summary>Steps between validation passes.</summary>
    public int ValidateEvery { get; init; } = 250;

    /// <summary>Steps between checkpoints.</summary>
    public int CheckpointEvery { get; init; } = 250;

    /// <summary>Torch intra-op threads (0 = library default).</summary>
    public int Threads { get; init; }

    /// <summary>The step at which this run stops.</summary>
    internal int StopStep => Math.Min(Steps, StopAt ?? int.MaxValue);

    /// <summary>True when the shared options are in range.</summary>
    protected bool SharedOptionsValid => Steps >= 1 && !(StopAt < 1) && BatchSize >= 1 && LearningRate > 0 && ValidateEvery >= 1 && CheckpointEvery >= 1;
}
