using VqCodec.Container;

namespace VqCodec.Codec.Image;

/// <summary>The decoder's job: checks from the header, tokens to pixels, the detail layer, restoration, greyscale output.</summary>
internal static class ImageDecoding
{
    /// <summary>Decodes a document whose header <see cref="CheckDecodable"/> accepts.</summary>
    public static RgbImage Decode(ImageModel model, VqcDocument doc, ImageDecodeOptions options, CancellationToken cancellationToken)
    {
        VqcHeader h = doc.Header;
        CheckDecodable(model, h, options);
        ImageRestorer? restorer = null;
        if (options.Restore && doc.Detail is not null && doc.Restoration is { } named)
        {
            restorer = model.Restorers.FirstOrDefault(r => named.Matches(r.Id, r.Hash));
            if (restorer is null)
            {
                string known = model.Restorers.Count == 0 ? "none" : string.Join(", ", model.Restorers.Select(r => $"'{r.Id}' ({Convert.ToHexString(r.Hash)[..16]}…)"));
                throw new ModelMismatchException(
                    $"the file asks for restoration network '{named.Id}' ({Convert.ToHexString(named.Hash)[..16]}…) but the loaded model has {known}",
                    named.Id,
                    model.Restorer?.Id ?? string.Empty);
            }
        }

        RgbImage image = ImageTiling.DecodeTokens(model, h.Width, h.Height, doc.Tokens, options.TileSize, cancellationToken, options.Progress);
        if (doc.Detail is not null)
        {
            RgbImage? baseImage = restorer is null ? null : new RgbImage(image.Width, image.Height, (byte[])image.Pixels.Clone());
            DetailLayerHeader detail = DetailLayerHeader.Read(doc.Detail);
            DetailBlockMap? map = restorer is null && options.Deblock ? new DetailBlockMap(image.Width, image.Height) : null;
            DetailLayer.Apply(doc.Detail, image, cancellationToken, options.Progress, map);
            restorer?.Apply(image, baseImage!, detail.LumaStep, options.TileSize, cancellationToken, options.Progress);
            if (map is not null)
            {
                DetailDeblocking.Apply(image, map, detail.LumaStep, cancellationToken);
            }
        }

        if (h.Channels == 1)
        {
            // A greyscale source decodes to grey: the colour the tokens and detail layer leave in it is coding noise.
            ToGrey(image);
        }

        return image;
    }

    /// <summary>Replaces every pixel by its BT.601 luma in all three channels.</summary>
    private static void ToGrey(RgbImage image)
    {
        byte[] p = image.Pixels;
        for (int i = 0; i < p.Length; i += 3)
        {
            byte y = (byte)Math.Clamp((int)Math.Round(image.LumaAt(i)), 0, 255);
            p[i] = p[i + 1] = p[i + 2] = y;
        }
    }

    /// <summary>Checks, from the header alone, that the file is an image of this model within the size limit.</summary>
    public static void CheckDecodable(ImageModel model, VqcHeader h, ImageDecodeOptions options)
    {
        if (h.Kind != MediaKind.Image)
        {
            throw new VqcFormatException($"the file holds {h.Kind}, not an image", VqcHeader.FileOffset);
        }

        long pixels = (long)h.Width * h.Height;
        if (pixels > options.MaxPixels)
        {
            throw new VqcFormatException($"the image is {h.Width}x{h.Height} ({pixels} pixels), above the decoder's limit of {options.MaxPixels} pixels", VqcHeader.FileOffset);
        }

        model.EnsureMatches(h);
        (int gh, int gw) = ImageTiling.GridSize(h.Width, h.Height);
        if (h.Levels.Length > model.Config.Levels || h.Levels.Any(l => l.GridHeight != gh || l.GridWidth != gw || l.CodebookSize != model.Config.CodebookSize))
        {
            throw new VqcFormatException("the token layout does not fit the model and image size", VqcHeader.FileOffset);
        }
    }
}
