namespace VqCodec.Container;

/// <summary>Options of <see cref="VqcWriter"/>; null means defaults.</summary>
public sealed class VqcWriterOptions
{
    /// <summary>How token chunks are coded. Default: the smallest applicable mode per chunk.</summary>
    public TokenCodingPolicy Policy { get; init; } = TokenCodingPolicy.Smallest;

    /// <summary>Static token tables; required by <see cref="TokenCodingPolicy.RansStatic"/>. Their hash must equal the header's.</summary>
    public TokenPriors? Priors { get; init; }
}
