namespace VqCodec.Codec.Image;

/// <summary>Options of <see cref="ImageCodec.Decode"/>; null means defaults.</summary>
public sealed class ImageDecodeOptions
{
    /// <summary>Tile side of the decoder in pixels unless <see cref="TileSize"/> sets another.</summary>
    public const int DefaultTileSize = 512;

    private readonly int _tileSize = DefaultTileSize;
    private readonly long _maxPixels = 1L << 28;

    /// <summary>Tile side in pixels for bounded memory on large images (multiple of 16, 128..4096); an image side of at most 1.5 tiles is decoded as one tile (no context margins to recompute). Default <see cref="DefaultTileSize"/> (512): a 4000×3000 decode took 17.8 s with 512 and 18.6 s with 1024 on an idle machine, at 0.90 and 1.42 GB peak (on a machine shared with a training run, 72 and 40 s: larger tiles help where memory bandwidth is scarce); a 768×512 image decodes in one tile, 10 % faster than in two.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a multiple of 16 in 128..4096.</exception>
    public int TileSize
    {
        get => _tileSize;
        init => _tileSize = ImageEncodeOptions.CheckTileSize(value);
    }

    /// <summary>
    /// Largest image (width × height) this decoder accepts; a file that claims more is refused before any
    /// token or pixel buffer is allocated. Default 2^28, the encoder's limit.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public long MaxPixels
    {
        get => _maxPixels;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxPixels = value;
        }
    }

    /// <summary>
    /// Apply the restoration network a file names (default true). False decodes the unrestored image (tokens
    /// and detail layer only), which needs no restorer.
    /// </summary>
    public bool Restore { get; init; } = true;

    /// <summary>
    /// Filter the detail layer's block edges when the image is decoded without the restoration network (default true;
    /// the restorer, when applied, removes blocking itself). Decoder-side post-processing, not part of the file.
    /// </summary>
    public bool Deblock { get; init; } = true;

    /// <summary>Receives the decoder's progress (tiles of the token decoder and the restorer, block rows of the detail layer); null: none.</summary>
    public IProgress<ImageCodingProgress>? Progress { get; init; }
}
