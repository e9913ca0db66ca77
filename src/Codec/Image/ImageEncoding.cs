using VqCodec.Container;

namespace VqCodec.Codec.Image;

/// <summary>The encoder's job: tokens for the levels asked for, the detail layer against their decoded image, and the header.</summary>
internal static class ImageEncoding
{
    /// <summary>Tokens for the options' levels and, when they ask for one, a detail layer; the document is not written.</summary>
    public static VqcDocument EncodeDocument(ImageModel model, RgbImage image, ImageEncodeOptions options, CancellationToken cancellationToken)
    {
        int levels = options.EffectiveLevels(model.Config.Levels);
        int[][] tokens = ImageTiling.EncodeTokens(model, image, levels, options.TileSize, cancellationToken, options.RefineSteps, options.Progress);
        VqcDocument doc = MakeDocument(model, image.Width, image.Height, tokens, options);
        double step = options.EffectiveDetailStep;
        if (step <= 0)
        {
            return doc;
        }

        RgbImage decoded = ImageTiling.DecodeTokens(model, image.Width, image.Height, tokens, options.TileSize, cancellationToken, options.Progress);
        return WithDetail(model, options, doc, image, decoded, step, cancellationToken);
    }

    /// <summary>
    /// The document with a detail layer at <paramref name="step"/> (and the model's restorer named when the options
    /// ask for it); <paramref name="decoded"/> is the image its tokens decode to.
    /// </summary>
    public static VqcDocument WithDetail(ImageModel model, ImageEncodeOptions options, VqcDocument doc, RgbImage image, RgbImage decoded, double step, CancellationToken cancellationToken) =>
        new(doc.Header, doc.Tokens, doc.Metadata, DetailLayer.Encode(image, decoded, step, cancellationToken, lumaOnly: options.SourceChannels == 1, options.Progress), options.Restore ? model.Restorer?.Identity : null);

    /// <summary>The document of a token grid: header (model identity, layout, source format) and the options' metadata.</summary>
    public static VqcDocument MakeDocument(ImageModel model, int width, int height, int[][] tokens, ImageEncodeOptions options)
    {
        (int gh, int gw) = ImageTiling.GridSize(width, height);
        var header = new VqcHeader
        {
            Kind = MediaKind.Image,
            Width = width,
            Height = height,
            Channels = options.SourceChannels,
            BitsPerSample = options.SourceBitsPerSample,
            ModelId = model.Id,
            ModelHash = model.Hash,
            PriorsHash = model.Priors?.Hash ?? new byte[32],
            Levels = tokens.Select(_ => new TokenLevelLayout(model.Config.CodebookSize, gh, gw)).ToArray(),
        };
        return new VqcDocument(header, tokens, options.Metadata);
    }
}
