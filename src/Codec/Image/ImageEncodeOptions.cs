using VqCodec.Container;

namespace VqCodec.Codec.Image;

/// <summary>Options of <see cref="ImageCodec.Encode"/>; null means defaults.</summary>
public sealed class ImageEncodeOptions
{
    private readonly int? _levels;
    private readonly double? _targetBpp;
    private readonly int _tileSize = 512;
    private readonly int _refineSteps;

    /// <summary>RVQ levels to keep (1..model levels). Default: all, unless <see cref="TargetBitsPerPixel"/> is set.</summary>
    public int? Levels
    {
        get => _levels;
        init
        {
            if (value is < 1 or > VqcLimits.MaxLevels)
            {
                throw new ArgumentOutOfRangeException(nameof(Levels), "levels must be 1..32");
            }

            _levels = value;
        }
    }

    /// <summary>Pick the most levels whose whole file stays at or under this many bits per pixel.</summary>
    public double? TargetBitsPerPixel
    {
        get => _targetBpp;
        init
        {
            if (value is not null && (!double.IsFinite(value.Value) || value <= 0))
            {
                throw new ArgumentOutOfRangeException(nameof(TargetBitsPerPixel), "target bits per pixel must be positive");
            }

            _targetBpp = value;
        }
    }

    /// <summary>
    /// Encoder effort: gradient steps that refine the latent so that the decoded image of the chosen level
    /// count is closer to the input (0 = the encoder network alone, the default; 0..200). The file format
    /// and decoder are unchanged; encoding takes roughly one decoder forward and backward pass per step.
    /// With <see cref="TargetBitsPerPixel"/> (and no <see cref="Levels"/>) the refinement aims at all levels
    /// before the level count is chosen.
    /// </summary>
    public int RefineSteps
    {
        get => _refineSteps;
        init
        {
            if (value is < 0 or > 200)
            {
                throw new ArgumentOutOfRangeException(nameof(RefineSteps), "refinement steps must be 0..200");
            }

            _refineSteps = value;
        }
    }

    /// <summary>Token coding policy (default: smallest per plane).</summary>
    public TokenCodingPolicy Policy { get; init; } = TokenCodingPolicy.Smallest;

    /// <summary>Tile side in pixels for bounded memory on large images (multiple of 16, 128..4096). Default 512.</summary>
    public int TileSize
    {
        get => _tileSize;
        init
        {
            if (value is < 128 or > 4096 || value % 16 != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(TileSize), "tile size must be a multiple of 16 in 128..4096");
            }

            _tileSize = value;
        }
    }

    /// <summary>Channels of the source file before conversion to RGB (recorded in the header; 1, 3 or 4).</summary>
    public int SourceChannels { get; init; } = 3;

    /// <summary>Bits per sample of the source file (recorded in the header; 8 or 16).</summary>
    public int SourceBitsPerSample { get; init; } = 8;

    /// <summary>Metadata to store in the file.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary>What <see cref="ImageCodec.Encode"/> produced.</summary>
/// <param name="Bytes">Size of the .vqc data.</param>
/// <param name="Levels">RVQ levels stored.</param>
/// <param name="BitsPerPixel">Bytes × 8 / (width × height).</param>
public sealed record ImageEncodeResult(long Bytes, int Levels, double BitsPerPixel);
