using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;
using VqCodec.Codec.Image;

namespace VqCodec.ImageSharp;

/// <summary>Encodes ImageSharp images as .vqc (alpha is ignored: the codec is RGB).</summary>
public sealed class VqcEncoder : IImageEncoder
{
    /// <summary>The model (default: the embedded pretrained model).</summary>
    public ImageModel? Model { get; init; }

    /// <summary>Encoding options (rate target, detail step, levels, ...); null means the codec's defaults.</summary>
    public ImageEncodeOptions? Options { get; init; }

    /// <inheritdoc/>
    public void Encode<TPixel>(Image<TPixel> image, Stream stream)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(stream);
        using Image<Rgb24> rgb = image.CloneAs<Rgb24>(image.GetConfiguration());
        var pixels = new byte[checked(rgb.Width * rgb.Height * 3)];
        rgb.CopyPixelDataTo(pixels);
        ImageCodec.Encode(Model ?? ImageModel.LoadPretrained(), new RgbImage(rgb.Width, rgb.Height, pixels), stream, Options);
    }

    /// <inheritdoc/>
    public Task EncodeAsync<TPixel>(Image<TPixel> image, Stream stream, CancellationToken cancellationToken)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        cancellationToken.ThrowIfCancellationRequested();
        Encode(image, stream);
        return Task.CompletedTask;
    }
}
