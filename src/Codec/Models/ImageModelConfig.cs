namespace VqCodec.Codec.Models;

/// <summary>Architecture hyper-parameters of the image VQ-VAE. Stored in the model file.</summary>
public sealed record ImageModelConfig
{
    /// <summary>Channels at 1/4, 1/8 and 1/16 resolution.</summary>
    public int[] Widths { get; init; } = [64, 128, 192];

    /// <summary>Residual blocks at the 1/16 resolution (bottleneck) stage.</summary>
    public int BottleneckBlocks { get; init; } = 2;

    /// <summary>Residual blocks at each of the 1/4 and 1/8 resolution stages (encoder and decoder).</summary>
    public int StageBlocks { get; init; } = 1;

    /// <summary>Latent (code) dimension.</summary>
    public int LatentDim { get; init; } = 32;

    /// <summary>Number of residual VQ levels.</summary>
    public int Levels { get; init; } = 16;

    /// <summary>Codewords per level.</summary>
    public int CodebookSize { get; init; } = 1024;

    /// <summary>Total spatial down-sampling factor (fixed by the architecture).</summary>
    public int Downsampling => 16;

    /// <summary>Throws when a field is out of its supported range.</summary>
    public void Validate()
    {
        if (Widths is not { Length: 3 } || Widths.Any(w => w < 8 || w > 1024))
        {
            throw new ArgumentException("Widths must hold three values in [8, 1024].");
        }

        if (BottleneckBlocks is < 0 or > 16 || StageBlocks is < 0 or > 8 || LatentDim is < 1 or > 512 || Levels is < 1 or > 32 || CodebookSize is < 2 or > 65536)
        {
            throw new ArgumentException("Image model configuration out of range.");
        }
    }
}
