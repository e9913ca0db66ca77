using SixLabors.ImageSharp.Formats;

namespace VqCodec.ImageSharp;

/// <summary>The .vqc image format for ImageSharp.</summary>
public sealed class VqcFormat : IImageFormat<VqcMetadata>
{
    private VqcFormat()
    {
    }

    /// <summary>The one instance.</summary>
    public static VqcFormat Instance { get; } = new();

    /// <inheritdoc/>
    public string Name => "VQC";

    /// <inheritdoc/>
    public string DefaultMimeType => "image/x-vqc";

    /// <inheritdoc/>
    public IEnumerable<string> MimeTypes => ["image/x-vqc"];

    /// <inheritdoc/>
    public IEnumerable<string> FileExtensions => ["vqc"];

    /// <inheritdoc/>
    public VqcMetadata CreateDefaultFormatMetadata() => new();
}

/// <summary>What a .vqc file records beyond its pixels.</summary>
public sealed class VqcMetadata : SixLabors.ImageSharp.IDeepCloneable
{
    /// <summary>Token levels in the file.</summary>
    public int Levels { get; set; }

    /// <summary>Luma step of the detail layer (0 when the file has none).</summary>
    public double DetailStep { get; set; }

    /// <inheritdoc/>
    public SixLabors.ImageSharp.IDeepCloneable DeepClone() => new VqcMetadata { Levels = Levels, DetailStep = DetailStep };
}
