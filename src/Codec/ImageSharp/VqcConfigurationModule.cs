using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using VqCodec.Codec.Image;

namespace VqCodec.ImageSharp;

/// <summary>
/// Registers the .vqc format with an ImageSharp configuration: <c>Configuration.Default.Configure(new
/// VqcConfigurationModule())</c>, then <c>Image.Load("photo.vqc")</c> and <c>image.Save("photo.vqc")</c> work.
/// </summary>
/// <remarks>Uses <paramref name="model"/> (default: the embedded pretrained model) for decoding and encoding.</remarks>
public sealed class VqcConfigurationModule(ImageModel? model = null) : IConfigurationModule
{
    /// <inheritdoc/>
    public void Configure(Configuration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.ImageFormatsManager.AddImageFormat(VqcFormat.Instance);
        configuration.ImageFormatsManager.AddImageFormatDetector(new VqcImageFormatDetector());
        configuration.ImageFormatsManager.SetDecoder(VqcFormat.Instance, new VqcDecoder(model));
        configuration.ImageFormatsManager.SetEncoder(VqcFormat.Instance, new VqcEncoder { Model = model });
    }
}

/// <summary>Recognises a .vqc image from its first 25 bytes: the magic and the header's media kind (image).</summary>
public sealed class VqcImageFormatDetector : IImageFormatDetector
{
    private static ReadOnlySpan<byte> Magic => [0x89, (byte)'V', (byte)'Q', (byte)'C', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <inheritdoc/>
    public int HeaderSize => 25;

    /// <inheritdoc/>
    public IImageFormat? DetectFormat(ReadOnlySpan<byte> header) =>
        header.Length >= HeaderSize && header[..8].SequenceEqual(Magic) && header[24] == 1 ? VqcFormat.Instance : null;
}
