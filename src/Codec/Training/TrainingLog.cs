namespace VqCodec.Codec.Training;

/// <summary>One progress report of a training run.</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="TotalSteps">Steps requested.</param>
/// <param name="Message">A human-readable log line, or null for a progress-only tick.</param>
public sealed record TrainingProgress(int Step, int TotalSteps, string? Message);

/// <summary>Thrown when a training run stops itself because its loss diverged.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(string message)
        : base(message)
    {
    }
}
