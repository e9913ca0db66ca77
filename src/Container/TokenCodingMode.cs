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

    /// <summary>
    /// Segmented media only: every plane of a segment in one rANS stream in frame order (levels in order within a
    /// frame), each token with the probabilities of the priors' learned <see cref="ContextPrior"/> (spec §5b).
    /// </summary>
    RansContext = 5,
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

    /// <summary>Segmented media: every segment in <see cref="TokenCodingMode.RansContext"/> (needs priors with a context prior).</summary>
    RansContext,

    /// <summary>As <see cref="Smallest"/>, but never <see cref="TokenCodingMode.RansContext"/> (for comparison, or for readers without the learned prior).</summary>
    SmallestWithoutContext,
}
