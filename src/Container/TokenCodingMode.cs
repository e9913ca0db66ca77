namespace VqCodec.Container;

/// <summary>How one token chunk's indices are stored.</summary>
public enum TokenCodingMode : byte
{
    /// <summary>Fixed-length codes of ceil(log2 K) bits, LSB-first.</summary>
    Packed = 0,

    /// <summary>16-bit little-endian indices compressed with LZ4 (fast mode, for comparison).</summary>
    Lz4 = 1,

    /// <summary>rANS with the static per-level table of the file's token priors.</summary>
    RansStatic = 2,

    /// <summary>rANS with adaptive counts (starting from the priors, or uniform without them).</summary>
    RansAdaptive = 3,

    /// <summary>
    /// Segmented media only: every plane of a segment in one rANS stream, level by level, each level with
    /// its static table (saves the per-plane mode, length and 4-byte final state).
    /// </summary>
    RansStaticJoint = 4,
}

/// <summary>What the writer does for each token chunk.</summary>
public enum TokenCodingPolicy
{
    /// <summary>Code every chunk all applicable ways and keep the smallest (the default).</summary>
    Smallest = 0,

    /// <summary>Always <see cref="TokenCodingMode.Packed"/>.</summary>
    Packed,

    /// <summary>Always <see cref="TokenCodingMode.Lz4"/> (the "fast" mode).</summary>
    Lz4,

    /// <summary>Always <see cref="TokenCodingMode.RansStatic"/> (needs priors).</summary>
    RansStatic,

    /// <summary>Always <see cref="TokenCodingMode.RansAdaptive"/>.</summary>
    RansAdaptive,
}
