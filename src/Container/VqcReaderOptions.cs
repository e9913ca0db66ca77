namespace VqCodec.Container;

/// <summary>
/// Limits a reader applies on top of the format's caps (spec/container.md §9), for applications that read
/// untrusted files: everything is checked against them before any buffer is allocated. Null means defaults,
/// which are the format's caps.
/// </summary>
public sealed class VqcReaderOptions
{
    private readonly int _maxTokensPerLevel = VqcLimits.MaxTokensPerLevel;
    private readonly int _maxMetadataBytes = VqcLimits.MaxMetadataBytes;

    /// <summary>Most tokens any level's grid may declare (default and maximum 2^24).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 1..2^24.</exception>
    public int MaxTokensPerLevel
    {
        get => _maxTokensPerLevel;
        init => _maxTokensPerLevel = value is >= 1 and <= VqcLimits.MaxTokensPerLevel ? value : throw new ArgumentOutOfRangeException(nameof(MaxTokensPerLevel), value, $"1..{VqcLimits.MaxTokensPerLevel}");
    }

    /// <summary>Largest uncompressed metadata (default and maximum 1 MiB).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 0..1 MiB.</exception>
    public int MaxMetadataBytes
    {
        get => _maxMetadataBytes;
        init => _maxMetadataBytes = value is >= 0 and <= VqcLimits.MaxMetadataBytes ? value : throw new ArgumentOutOfRangeException(nameof(MaxMetadataBytes), value, $"0..{VqcLimits.MaxMetadataBytes}");
    }
}
