using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using VqCodec.Codec.Image;
using VqCodec.Container;

namespace VqCodec.ImageSharp;

/// <summary>
/// Decodes .vqc images for ImageSharp. The header is read first: a file that is not an image, or whose size is
/// above <see cref="ImageDecodeOptions.MaxPixels"/>, is refused before any token or pixel buffer is allocated.
/// </summary>
/// <remarks>Creates a decoder with <paramref name="model"/> (default: the embedded pretrained model) and <paramref name="options"/>.</remarks>
public sealed class VqcDecoder(ImageModel? model = null, ImageDecodeOptions? options = null) : IImageDecoder, IImageInfoDetector
{
    private readonly ImageDecodeOptions _options = options ?? new ImageDecodeOptions();

    /// <inheritdoc/>
    /// <exception cref="InvalidImageContentException">The file is not a valid .vqc image for the model.</exception>
    public Image<TPixel> Decode<TPixel>(Configuration configuration, Stream stream, CancellationToken cancellationToken)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(stream);
        RgbImage decoded;
        VqcHeader header;
        DetailLayerHeader? detail;
        try
        {
            byte[] data = ReadAll(stream);

            // The codec's own header-first path: kind, model and pixel limit are checked before any token is read.
            decoded = ImageCodec.Decode(model ?? ImageModel.LoadPretrained(), new MemoryStream(data), _options, cancellationToken);
            header = VqcProbe.ReadHeader(data).Header;
            detail = DetailStep(data);
        }
        catch (Exception ex) when (ex is VqcFormatException or ModelMismatchException)
        {
            throw new InvalidImageContentException(ex.Message, ex);
        }

        using Image<Rgb24> rgb = Image.LoadPixelData<Rgb24>(configuration, decoded.Pixels, decoded.Width, decoded.Height);
        Image<TPixel> result = rgb.CloneAs<TPixel>(configuration);
        VqcMetadata meta = result.Metadata.GetFormatMetadata(VqcFormat.Instance);
        meta.Levels = header.Levels.Length;
        meta.DetailStep = detail?.LumaStep ?? 0;
        return result;
    }

    /// <inheritdoc/>
    public Image Decode(Configuration configuration, Stream stream, CancellationToken cancellationToken) =>
        Decode<Rgb24>(configuration, stream, cancellationToken);

    /// <inheritdoc/>
    /// <exception cref="InvalidImageContentException">The header is not a valid .vqc image header.</exception>
    public IImageInfo Identify(Configuration configuration, Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);

        // The preamble and header chunk only (at most 16 + 12 + 4,096 bytes): identifying reads no tokens.
        var head = new byte[16 + 12 + VqcLimits.MaxHeaderPayload];
        int n = 0, read;
        while (n < head.Length && (read = stream.Read(head, n, head.Length - n)) > 0)
        {
            n += read;
        }

        VqcHeader header;
        try
        {
            header = VqcProbe.ReadHeader(head.AsSpan(0, n)).Header;
        }
        catch (VqcFormatException ex)
        {
            throw new InvalidImageContentException(ex.Message, ex);
        }

        if (header.Kind != MediaKind.Image)
        {
            throw new InvalidImageContentException($"the .vqc file holds {header.Kind}, not an image");
        }

        var metadata = new ImageMetadata();
        metadata.GetFormatMetadata(VqcFormat.Instance).Levels = header.Levels.Length;
        return new VqcImageInfo(new PixelTypeInfo(24), header.Width, header.Height, metadata);
    }

    /// <summary>The detail layer's header of a file already decoded (so known to be valid), walking its chunks without decoding tokens.</summary>
    private static DetailLayerHeader? DetailStep(byte[] data)
    {
        using var reader = new VqcReader(new MemoryStream(data), null, leaveOpen: false, structureOnlyWithoutPriors: true);
        while (reader.GetNextPlane() is not null)
        {
        }

        return reader.Detail is { } payload ? DetailLayerHeader.Read(payload) : null;
    }

    private static byte[] ReadAll(Stream stream)
    {
        if (stream is MemoryStream ms && ms.Position == 0)
        {
            return ms.ToArray();
        }

        var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

/// <summary>What <see cref="VqcDecoder.Identify"/> returns: size and metadata, read from the header alone.</summary>
internal sealed record VqcImageInfo(PixelTypeInfo PixelType, int Width, int Height, ImageMetadata Metadata) : IImageInfo;
