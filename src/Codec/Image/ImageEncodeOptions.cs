using VqCodec.Container;

namespace VqCodec.Codec.Image;

/// <summary>Options of <see cref="ImageCodec.Encode"/>; null means defaults.</summary>
public sealed class ImageEncodeOptions
{
    /// <summary>Tile side of the encoder in pixels unless <see cref="TileSize"/> sets another.</summary>
    public const int DefaultTileSize = 1024;

    private readonly int? _levels;
    private readonly double? _targetBpp;
    private readonly int _tileSize = DefaultTileSize;
    private readonly int _refineSteps;
    private readonly double? _detailStep;

    /// <summary>Detail-layer quantizer step used when no option chooses the rate (about 0.55 bpp on photographs).</summary>
    public const double DefaultDetailStep = 32;

    /// <summary>Token levels under a detail layer when <see cref="Levels"/> is not given.</summary>
    public const int DetailBaseLevels = 2;

    /// <summary>Smallest and largest detail-layer quantizer steps, in 8-bit pixel levels.</summary>
    public const double MinDetailStep = 2, MaxDetailStep = 255;

    /// <summary>
    /// RVQ levels to keep (1..model levels). Given alone, the file holds tokens only (no detail layer).
    /// Default: <see cref="DetailBaseLevels"/> under a detail layer, all levels for a tokens-only file.
    /// </summary>
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

    /// <summary>
    /// Rate target for the whole file in bits per pixel, applied when neither <see cref="Levels"/> nor
    /// <see cref="DetailStep"/> is given: the finest detail-layer step over <see cref="DetailBaseLevels"/> token
    /// levels whose file fits, or, for targets below the coarsest step's size, the most token levels that fit.
    /// </summary>
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

    /// <summary>
    /// Quantizer step of the detail layer in 8-bit pixel levels (<see cref="MinDetailStep"/>..<see cref="MaxDetailStep"/>;
    /// smaller is finer and larger; 0 = no detail layer). The detail layer codes what the token-decoded image
    /// misses (8×8 DCT of the YCbCr residual, dead-zone scalar quantization, adaptive binary range coding).
    /// Default: <see cref="DefaultDetailStep"/> when neither <see cref="Levels"/> nor <see cref="TargetBitsPerPixel"/>
    /// is given, none otherwise.
    /// </summary>
    public double? DetailStep
    {
        get => _detailStep;
        init
        {
            if (value is double v && v != 0 && !(v >= MinDetailStep && v <= MaxDetailStep))
            {
                throw new ArgumentOutOfRangeException(nameof(DetailStep), $"detail step must be 0 (off) or {MinDetailStep}..{MaxDetailStep}");
            }

            _detailStep = value;
        }
    }

    /// <summary>The detail step these options ask for before any rate search (0: none).</summary>
    internal double EffectiveDetailStep => DetailStep ?? (Levels is null && TargetBitsPerPixel is null ? DefaultDetailStep : 0);

    /// <summary>The token levels these options ask for before any rate search, capped at <paramref name="modelLevels"/>.</summary>
    internal int EffectiveLevels(int modelLevels) => Math.Min(Levels ?? (EffectiveDetailStep > 0 ? DetailBaseLevels : modelLevels), modelLevels);

    /// <summary>
    /// Ask the decoder to apply the model's restoration network after the detail layer (default true; no
    /// effect when the model has no restorer or the file has no detail layer).
    /// </summary>
    public bool Restore { get; init; } = true;

    /// <summary>Token coding policy (default: smallest per plane).</summary>
    public TokenCodingPolicy Policy { get; init; } = TokenCodingPolicy.Smallest;

    /// <summary>Tile side in pixels for bounded memory on large images (multiple of 16, 128..4096; an image side of at most 1.5 tiles is one tile). Default <see cref="DefaultTileSize"/> (1024): each tile recomputes a 112-pixel context margin, so smaller tiles cost time (a 4000×3000 encode took 18.0 s with 512 and 13.6 s with 1024 on an idle machine) and larger ones memory (1.23 and 1.42 GB peak).</summary>
    public int TileSize
    {
        get => _tileSize;
        init => _tileSize = CheckTileSize(value);
    }

    /// <summary>The one tile-size rule of encoding and decoding: a multiple of 16 in 128..4096.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside the rule.</exception>
    internal static int CheckTileSize(int value) =>
        value is >= 128 and <= 4096 && value % 16 == 0 ? value : throw new ArgumentOutOfRangeException(nameof(TileSize), value, "tile size must be a multiple of 16 in 128..4096");

    /// <summary>Channels of the source file before conversion to RGB (recorded in the header; 1, 3 or 4).</summary>
    public int SourceChannels { get; init; } = 3;

    /// <summary>Bits per sample of the source file (recorded in the header; 8 or 16).</summary>
    public int SourceBitsPerSample { get; init; } = 8;

    /// <summary>Metadata to store in the file.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>Receives the encoder's progress (encoder and decoder tiles, detail-layer block rows); null: none.</summary>
    public IProgress<ImageCodingProgress>? Progress { get; init; }
}

/// <summary>What <see cref="ImageCodec.Encode"/> produced.</summary>
/// <param name="Bytes">Size of the .vqc data.</param>
/// <param name="Levels">RVQ levels stored.</param>
/// <param name="BitsPerPixel">Bytes × 8 / (width × height).</param>
/// <param name="DetailStep">Quantizer step of the detail layer (0: none).</param>
public sealed record ImageEncodeResult(long Bytes, int Levels, double BitsPerPixel, double DetailStep = 0);
