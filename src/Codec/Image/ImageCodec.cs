using VqCodec.Container;

namespace VqCodec.Codec.Image;

/// <summary>
/// Image encoding and decoding with a loaded <see cref="ImageModel"/>: the public entry points. The work is
/// done by one class per job: <see cref="ImageEncoding"/> (tokens, detail layer, header),
/// <see cref="ImageRateControl"/> (<see cref="ImageEncodeOptions.TargetBitsPerPixel"/>),
/// <see cref="ImageTiling"/> (the networks over tiles with context margins), <see cref="LatentRefinement"/>
/// (<see cref="ImageEncodeOptions.RefineSteps"/>) and <see cref="ImageDecoding"/>.
/// </summary>
public static class ImageCodec
{
    /// <summary>Encodes <paramref name="image"/> to .vqc bytes on <paramref name="output"/> (not closed).</summary>
    /// <exception cref="ArgumentException">Options do not fit the model.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static ImageEncodeResult Encode(ImageModel model, RgbImage image, Stream output, ImageEncodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(output);
        options ??= new ImageEncodeOptions();
        int maxLevels = model.Config.Levels;
        if (options.Levels > maxLevels)
        {
            throw new ArgumentException($"the model has {maxLevels} levels; {options.Levels} were requested");
        }

        if (image.Width > VqcLimits.MaxImageSide || image.Height > VqcLimits.MaxImageSide)
        {
            throw new ArgumentException($"image sides are limited to {VqcLimits.MaxImageSide} pixels");
        }

        var writerOptions = new VqcWriterOptions { Policy = options.Policy, Priors = model.Priors };
        VqcDocument doc = options.TargetBitsPerPixel is double target && options.Levels is null && options.DetailStep is null
            ? ImageRateControl.FitRate(model, image, options, target, writerOptions, cancellationToken)
            : EncodeDocument(model, image, options, cancellationToken);
        long bytes = doc.Write(output, writerOptions, leaveOpen: true);
        return new ImageEncodeResult(bytes, doc.Header.Levels.Length, bytes * 8.0 / ((double)image.Width * image.Height), doc.Detail is null ? 0 : DetailLayerHeader.Read(doc.Detail).LumaStep);
    }

    /// <summary>
    /// Runs the encoder and quantizer for the levels the options ask for and, when they ask for one, codes the
    /// detail layer against the image decoded from those tokens; returns the document without writing it.
    /// <see cref="ImageEncodeOptions.TargetBitsPerPixel"/> is not applied here. Write it with
    /// <see cref="VqcDocument.Write"/> and the model's priors.
    /// </summary>
    public static VqcDocument EncodeDocument(ImageModel model, RgbImage image, ImageEncodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(image);
        return ImageEncoding.EncodeDocument(model, image, options ?? new ImageEncodeOptions(), cancellationToken);
    }

    /// <summary>Decodes a .vqc image from <paramref name="input"/> (not closed).</summary>
    /// <exception cref="VqcFormatException">Bad bytes, or an image larger than <see cref="ImageDecodeOptions.MaxPixels"/>.</exception>
    /// <exception cref="ModelMismatchException">The file was made by another model, or names a restorer the model lacks.</exception>
    /// <exception cref="VqcFormatException">The file is malformed, not an image, or its token layout does not fit the model.</exception>
    public static RgbImage Decode(ImageModel model, Stream input, ImageDecodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        options ??= new ImageDecodeOptions();
        using var reader = new VqcReader(input, model.FindPriors, leaveOpen: true);
        ImageDecoding.CheckDecodable(model, reader.ReadHeader(), options);
        return ImageDecoding.Decode(model, VqcDocument.Read(reader), options, cancellationToken);
    }

    /// <summary>Decodes tokens already read from a file.</summary>
    /// <exception cref="VqcFormatException">An image larger than <see cref="ImageDecodeOptions.MaxPixels"/>, or a malformed detail layer.</exception>
    /// <exception cref="ModelMismatchException">The file was made by another model, or names a restorer the model lacks.</exception>
    /// <exception cref="VqcFormatException">The file is malformed, not an image, or its token layout does not fit the model.</exception>
    public static RgbImage DecodeDocument(ImageModel model, VqcDocument doc, ImageDecodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(doc);
        options ??= new ImageDecodeOptions();
        return ImageDecoding.Decode(model, doc, options, cancellationToken);
    }

    /// <summary>
    /// A token-only .vqc file of a <paramref name="width"/> × <paramref name="height"/> image whose token grid is drawn
    /// from the model's learned grid prior (<see cref="ContextPrior.SampleGrid"/>, raster order, the same integer
    /// frequencies the entropy coder uses): a texture sampled from the tokens' language. Decode it with
    /// <see cref="Decode"/>. The same seed gives the same file.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has no learned token prior.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Levels outside 1..the prior's, sides outside 16..4096, or a temperature that is not positive.</exception>
    public static byte[] Generate(ImageModel model, int width, int height, int levels, int seed, double temperature = 1.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ContextPrior prior = model.Priors?.Context is { Layout: ContextLayout.Grid } p ? p : throw new InvalidOperationException($"model '{model.Id}' has no learned grid token prior");
        ArgumentOutOfRangeException.ThrowIfLessThan(levels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(levels, Math.Min(prior.Levels, model.Config.Levels));
        ArgumentOutOfRangeException.ThrowIfLessThan(width, ImageTiling.Factor);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, ImageTiling.Factor);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, 4096);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, 4096);
        (int gh, int gw) = ImageTiling.GridSize(width, height);
        int[][] tokens = prior.SampleGrid(levels, gh, gw, new Random(seed), temperature);
        var options = new ImageEncodeOptions
        {
            Levels = levels,
            Metadata = new Dictionary<string, string> { ["generated"] = $"sampled from the token prior, seed {seed}, temperature {temperature.ToString(System.Globalization.CultureInfo.InvariantCulture)}" },
        };
        VqcDocument doc = ImageEncoding.MakeDocument(model, width, height, tokens, options);
        var file = new MemoryStream();
        doc.Write(file, new VqcWriterOptions { Priors = model.Priors }, leaveOpen: true);
        return file.ToArray();
    }
}
