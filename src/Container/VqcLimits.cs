namespace VqCodec.Container;

/// <summary>Size caps of format v1. Every size read from a file is checked against these before allocating.</summary>
public static class VqcLimits
{
    /// <summary>Largest chunk payload (64 MiB).</summary>
    public const int MaxChunkPayload = 64 << 20;

    /// <summary>Largest header payload.</summary>
    public const int MaxHeaderPayload = 4096;

    /// <summary>Most RVQ levels.</summary>
    public const int MaxLevels = 32;

    /// <summary>Largest codebook (entropy-coded modes allow up to <see cref="MaxEntropyCodedCodebook"/>).</summary>
    public const int MaxCodebookSize = 65536;

    /// <summary>Largest codebook for the rANS modes (every symbol needs a non-zero 16-bit frequency).</summary>
    public const int MaxEntropyCodedCodebook = 4096;

    /// <summary>Most tokens per level in a file (2^24).</summary>
    public const int MaxTokensPerLevel = 1 << 24;

    /// <summary>Most tokens in one token chunk (2^22).</summary>
    public const int MaxTokensPerChunk = 1 << 22;

    /// <summary>Largest image side in pixels.</summary>
    public const int MaxImageSide = 1 << 16;

    /// <summary>Largest speech sample count (about 37 hours at 16 kHz).</summary>
    public const long MaxSampleCount = 1L << 31;

    /// <summary>Longest model id in UTF-8 bytes.</summary>
    public const int MaxModelIdBytes = 64;

    /// <summary>
    /// Longest speech segment in frames (2^16: about 22 minutes at 50 frames/s). A streaming decoder holds at most
    /// one segment of tokens, so this bounds its memory whatever length a file claims.
    /// </summary>
    public const int MaxSegmentLength = 1 << 16;

    /// <summary>Most segments (seek-table entries).</summary>
    public const int MaxSegments = 1 << 20;

    /// <summary>Largest uncompressed metadata.</summary>
    public const int MaxMetadataBytes = 1 << 20;
}
