using TorchSharp;
using VqCodec.Codec.Models;
using VqCodec.Container;
using static TorchSharp.torch;

namespace VqCodec.Codec.Image;

/// <summary>
/// Image encoding and decoding with a loaded <see cref="ImageModel"/>. Images of any size are padded to a
/// multiple of 16 by edge replication and cropped back on decode. Large images are processed in tiles
/// with overlapping context wider than the receptive fields (112 px for the encoder, 8 latent cells =
/// 128 px for the decoder), so memory
/// is bounded by the tile size while results match whole-image processing up to the receptive field.
/// </summary>
public static class ImageCodec
{
    private const int Factor = 16;
    private const int EncoderMargin = 112;
    private const int DecoderMarginCells = 8;

    /// <summary>
    /// Coarsest detail step of the rate search: below the size it gives, token levels alone are as good
    /// (measured on the validation photographs, spec/design.md).
    /// </summary>
    private const double CoarsestRateStep = 160;

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
            ? FitRate(model, image, options, target, writerOptions, cancellationToken)
            : EncodeDocument(model, image, options, cancellationToken);
        long bytes = doc.Write(output, writerOptions, leaveOpen: true);
        return new ImageEncodeResult(bytes, doc.Header.Levels.Length, bytes * 8.0 / ((double)image.Width * image.Height), doc.Detail is null ? 0 : DetailLayer.StoredStep(doc.Detail));
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
        options ??= new ImageEncodeOptions();
        int levels = options.EffectiveLevels(model.Config.Levels);
        int[][] tokens = EncodeTokens(model, image, levels, options.TileSize, cancellationToken, options.RefineSteps, options.Progress);
        VqcDocument doc = MakeDocument(model, image.Width, image.Height, tokens, options);
        double step = options.EffectiveDetailStep;
        if (step <= 0)
        {
            return doc;
        }

        RgbImage decoded = DecodeTokens(model, image.Width, image.Height, tokens, options.TileSize, cancellationToken, options.Progress);
        return WithDetail(model, options, doc, image, decoded, step, cancellationToken);
    }

    /// <summary>
    /// The rate search of <see cref="ImageEncodeOptions.TargetBitsPerPixel"/>: binary search over a ladder of
    /// detail steps (four per octave) on <see cref="ImageEncodeOptions.DetailBaseLevels"/> token levels, and
    /// below the coarsest step's size, the most token levels whose file fits.
    /// </summary>
    private static VqcDocument FitRate(ImageModel model, RgbImage image, ImageEncodeOptions options, double target, VqcWriterOptions writerOptions, CancellationToken cancellationToken)
    {
        double pixels = (double)image.Width * image.Height;
        int[][] all = EncodeTokens(model, image, model.Config.Levels, options.TileSize, cancellationToken, options.RefineSteps, options.Progress);
        VqcDocument tokensOnly = MakeDocument(model, image.Width, image.Height, all, options);
        int baseLevels = Math.Min(ImageEncodeOptions.DetailBaseLevels, all.Length);
        VqcDocument under = tokensOnly.Truncate(baseLevels);

        // Every detail candidate shares the base's token chunks: the base is written (its tokens entropy-coded, with
        // the learned prior where it pays) once, and a candidate's size is the base's plus its own chunks (spec §4a, §4b).
        long baseBytes = under.Write(Stream.Null, writerOptions);
        long Size(VqcDocument d) => d.Detail is null ? d.Write(Stream.Null, writerOptions)
            : baseBytes + d.DetailBytes;
        double Bits(VqcDocument d) => Size(d) * 8 / pixels;
        bool Fits(VqcDocument d) => Bits(d) <= target;
        double[] ladder = [.. Enumerable.Range(0, 64).Select(i => CoarsestRateStep * Math.Pow(2, -i / 4.0)).TakeWhile(step => step >= ImageEncodeOptions.MinDetailStep)];
        RgbImage decoded = DecodeTokens(model, image.Width, image.Height, under.Tokens, options.TileSize, cancellationToken, options.Progress);
        VqcDocument Try(int i) => WithDetail(model, options, under, image, decoded, ladder[i], cancellationToken);
        VqcDocument coarsest = Try(0);
        if (Fits(coarsest))
        {
            // Invariant: ladder[lo] fits; find the finest step that fits (size grows as the step shrinks).
            int lo = 0, hi = ladder.Length;
            VqcDocument best = coarsest;
            while (hi - lo > 1)
            {
                int mid = (lo + hi) / 2;
                VqcDocument candidate = Try(mid);
                if (Fits(candidate))
                {
                    (lo, best) = (mid, candidate);
                }
                else
                {
                    hi = mid;
                }
            }

            if (hi == ladder.Length)
            {
                return best;
            }

            // Between two ladder steps (19 % apart) the size moves by up to about 20 %: bisect the step itself
            // (stored in 1/16 level units) until the file lands within 2 % under the target.
            double coarse = ladder[lo], fine = ladder[hi];
            for (int i = 0; i < 8 && Bits(best) < 0.98 * target && coarse - fine > 1.0 / DetailLayer.StepUnits; i++)
            {
                double mid = Math.Sqrt(coarse * fine);
                VqcDocument candidate = WithDetail(model, options, under, image, decoded, mid, cancellationToken);
                if (Fits(candidate))
                {
                    (coarse, best) = (mid, candidate);
                }
                else
                {
                    fine = mid;
                }
            }

            return best;
        }

        for (int n = all.Length; n > 1; n--)
        {
            cancellationToken.ThrowIfCancellationRequested();
            VqcDocument candidate = tokensOnly.Truncate(n);
            if (Fits(candidate))
            {
                return candidate;
            }
        }

        return tokensOnly.Truncate(1);
    }

    /// <summary>
    /// The document with a detail layer at <paramref name="step"/> (and the model's restorer named when the options
    /// ask for it); <paramref name="decoded"/> is the image its tokens decode to.
    /// </summary>
    private static VqcDocument WithDetail(ImageModel model, ImageEncodeOptions options, VqcDocument doc, RgbImage image, RgbImage decoded, double step, CancellationToken cancellationToken) =>
        new(doc.Header, doc.Tokens, doc.Metadata, DetailLayer.Encode(image, decoded, step, cancellationToken, lumaOnly: options.SourceChannels == 1, options.Progress), options.Restore ? model.Restorer?.Identity : null);

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
        CheckDecodable(model, reader.ReadHeader(), options);
        return DecodeDocument(model, VqcDocument.Read(reader), options, cancellationToken);
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
        VqcHeader h = doc.Header;
        CheckDecodable(model, h, options);
        ImageRestorer? restorer = null;
        if (options.Restore && doc.Detail is not null && doc.Restoration is { } named)
        {
            restorer = model.Restorer;
            if (restorer is null || !named.Matches(restorer.Id, restorer.Hash))
            {
                throw new ModelMismatchException(
                    $"the file asks for restoration network '{named.Id}' ({Convert.ToHexString(named.Hash)[..16]}…) but the loaded model has {(restorer is null ? "none" : $"'{restorer.Id}' ({Convert.ToHexString(restorer.Hash)[..16]}…)")}",
                    named.Id,
                    restorer?.Id ?? string.Empty);
            }
        }

        RgbImage image = DecodeTokens(model, h.Width, h.Height, doc.Tokens, options.TileSize, cancellationToken, options.Progress);
        if (doc.Detail is not null)
        {
            RgbImage? baseImage = restorer is null ? null : new RgbImage(image.Width, image.Height, (byte[])image.Pixels.Clone());
            DetailLayer.Apply(doc.Detail, image, cancellationToken, options.Progress);
            restorer?.Apply(image, baseImage!, DetailLayer.StoredStep(doc.Detail), options.TileSize, cancellationToken, options.Progress);
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
    private static void CheckDecodable(ImageModel model, VqcHeader h, ImageDecodeOptions options)
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
        (int gh, int gw) = GridSize(h.Width, h.Height);
        if (h.Levels.Length > model.Config.Levels || h.Levels.Any(l => l.GridHeight != gh || l.GridWidth != gw || l.CodebookSize != model.Config.CodebookSize))
        {
            throw new VqcFormatException("the token layout does not fit the model and image size", VqcHeader.FileOffset);
        }
    }

    private static VqcDocument MakeDocument(ImageModel model, int width, int height, int[][] tokens, ImageEncodeOptions options)
    {
        (int gh, int gw) = GridSize(width, height);
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
        ArgumentOutOfRangeException.ThrowIfLessThan(width, Factor);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, Factor);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, 4096);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, 4096);
        (int gh, int gw) = GridSize(width, height);
        int[][] tokens = prior.SampleGrid(levels, gh, gw, new Random(seed), temperature);
        var options = new ImageEncodeOptions
        {
            Levels = levels,
            Metadata = new Dictionary<string, string> { ["generated"] = $"sampled from the token prior, seed {seed}, temperature {temperature.ToString(System.Globalization.CultureInfo.InvariantCulture)}" },
        };
        VqcDocument doc = MakeDocument(model, width, height, tokens, options);
        var file = new MemoryStream();
        doc.Write(file, new VqcWriterOptions { Priors = model.Priors }, leaveOpen: true);
        return file.ToArray();
    }

    /// <summary>Rows and columns of the token grid of a <paramref name="width"/> × <paramref name="height"/> image (one token per 16 × 16 pixels, edges rounded up).</summary>
    internal static (int Height, int Width) GridSize(int width, int height) => ((height + Factor - 1) / Factor, (width + Factor - 1) / Factor);

    /// <summary>Token grids [level][gh·gw] for the first <paramref name="levels"/> levels.</summary>
    internal static int[][] EncodeTokens(ImageModel model, RgbImage image, int levels, int tileSize, CancellationToken cancellationToken, int refineSteps = 0, IProgress<ImageCodingProgress>? progress = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        int hp = (image.Height + Factor - 1) / Factor * Factor, wp = (image.Width + Factor - 1) / Factor * Factor;
        int gh = hp / Factor, gw = wp / Factor, d = model.Config.LatentDim;
        var latent = new float[d * gh * gw];
        int tiles = ((hp + tileSize - 1) / tileSize) * ((wp + tileSize - 1) / tileSize), done = 0;
        for (int ty = 0; ty < hp; ty += tileSize)
        {
            for (int tx = 0; tx < wp; tx += tileSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(new ImageCodingProgress("encoder", done++, tiles));
                using var tileScope = NewDisposeScope();
                (int th, int y0, int y1) = Window(ty, tileSize, hp, EncoderMargin);
                (int tw, int x0, int x1) = Window(tx, tileSize, wp, EncoderMargin);
                Tensor x = Region(image, x0, y0, x1 - x0, y1 - y0);
                Tensor z = NativeCallGuard.Run(() => model.Network.Encode(x));
                Tensor centre = z[0, .., ((ty - y0) / Factor)..((ty - y0 + th) / Factor), ((tx - x0) / Factor)..((tx - x0 + tw) / Factor)].contiguous();
                float[] values = centre.data<float>().ToArray();
                int ch = th / Factor, cw = tw / Factor;
                for (int c = 0; c < d; c++)
                {
                    for (int y = 0; y < ch; y++)
                    {
                        Array.Copy(values, (c * ch + y) * cw, latent, (c * gh + (ty / Factor) + y) * gw + (tx / Factor), cw);
                    }
                }
            }
        }

        progress?.Report(new ImageCodingProgress("encoder", tiles, tiles));
        if (refineSteps > 0)
        {
            latent = Refine(model, image, latent, gh, gw, levels, refineSteps, cancellationToken);
        }

        Tensor rows = torch.tensor(latent, [d, gh * gw]).t().contiguous();
        Tensor codes = NativeCallGuard.Run(() => model.Network.Quantizer.Encode(rows, levels).t().contiguous().to_type(ScalarType.Int32));
        int[] flat = codes.data<int>().ToArray();
        var result = new int[levels][];
        for (int l = 0; l < levels; l++)
        {
            result[l] = flat.AsSpan(l * gh * gw, gh * gw).ToArray();
        }

        return result;
    }

    /// <summary>
    /// Encoder-side refinement: moves the latent by Adam steps on the pixel MSE of the image decoded from
    /// its <paramref name="levels"/>-level quantization (straight-through through the quantizer), closing part
    /// of the gap between the amortised encoder and the best latent for this decoder. Runs on windows of
    /// 64×64 cells plus the decoder margin; only each window's centre cells move, later windows see the
    /// refined cells of earlier ones. Pixels outside the image do not count.
    /// </summary>
    private static float[] Refine(ImageModel model, RgbImage image, float[] latent, int gh, int gw, int levels, int steps, CancellationToken cancellationToken)
    {
        const int windowCells = 64;
        const float rate = 0.03f, beta1 = 0.9f, beta2 = 0.999f;
        int d = model.Config.LatentDim;
        using var scope = NewDisposeScope();
        using var gradients = torch.enable_grad();
        Tensor all = torch.tensor(latent, [1, d, gh, gw]);
        for (int ty = 0; ty < gh; ty += windowCells)
        {
            for (int tx = 0; tx < gw; tx += windowCells)
            {
                using var windowScope = NewDisposeScope();
                (int th, int y0, int y1) = Window(ty, windowCells, gh, DecoderMarginCells);
                (int tw, int x0, int x1) = Window(tx, windowCells, gw, DecoderMarginCells);
                int h = y1 - y0, w = x1 - x0;
                Tensor target = Region(image, x0 * Factor, y0 * Factor, w * Factor, h * Factor);
                Tensor inside = torch.zeros(1, 1, h * Factor, w * Factor);
                inside[.., .., ..Math.Min(h * Factor, image.Height - (y0 * Factor)), ..Math.Min(w * Factor, image.Width - (x0 * Factor))] = 1f;
                Tensor movable = torch.zeros(1, 1, h, w);
                movable[.., .., (ty - y0)..(ty - y0 + th), (tx - x0)..(tx - x0 + tw)] = 1f;
                Tensor z = all[.., .., y0..y1, x0..x1].clone();
                Tensor m = torch.zeros_like(z), v = torch.zeros_like(z);
                float count = inside.sum().item<float>() * 3;
                for (int step = 1; step <= steps; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var stepScope = NewDisposeScope();
                    Tensor grad = NativeCallGuard.Run(() =>
                    {
                        Tensor leaf = z.detach().requires_grad_(true);
                        Tensor rows = ImageVqVae.ToRows(leaf);
                        Tensor q;
                        using (torch.no_grad())
                        {
                            q = model.Network.Quantizer.Decode(model.Network.Quantizer.Encode(rows.detach(), levels));
                        }

                        Tensor zq = ImageVqVae.FromRows(rows + (q - rows).detach(), 1, h, w);
                        Tensor loss = (model.Network.Decode(zq) - target).square().mul(inside).sum() / count;
                        return torch.autograd.grad([loss], [leaf])[0] * movable;
                    });
                    m.mul_(beta1).add_(grad * (1 - beta1));
                    v.mul_(beta2).add_(grad.square() * (1 - beta2));
                    Tensor mHat = m / (1 - MathF.Pow(beta1, step)), vHat = v / (1 - MathF.Pow(beta2, step));
                    z.sub_(mHat / (vHat.sqrt() + 1e-8f) * rate);
                }

                all[.., .., y0..y1, x0..x1] = z;
            }
        }

        return all.contiguous().data<float>().ToArray();
    }

    internal static RgbImage DecodeTokens(ImageModel model, int width, int height, int[][] tokens, int tileSize, CancellationToken cancellationToken, IProgress<ImageCodingProgress>? progress = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        (int gh, int gw) = GridSize(width, height);
        int levels = tokens.Length;
        var flat = new long[levels * gh * gw];
        for (int l = 0; l < levels; l++)
        {
            for (int i = 0; i < gh * gw; i++)
            {
                flat[i * levels + l] = tokens[l][i];
            }
        }

        Tensor rows = NativeCallGuard.Run(() => model.Network.Quantizer.Decode(torch.tensor(flat, [gh * gw, levels])));
        Tensor latent = rows.t().reshape(1, rows.shape[1], gh, gw);
        var pixels = new byte[checked((long)width * height * 3)];
        int tileCells = tileSize / Factor;
        int tiles = ((gh + tileCells - 1) / tileCells) * ((gw + tileCells - 1) / tileCells), done = 0;
        for (int ty = 0; ty < gh; ty += tileCells)
        {
            for (int tx = 0; tx < gw; tx += tileCells)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(new ImageCodingProgress("decoder", done++, tiles));
                using var tileScope = NewDisposeScope();
                (int th, int y0, int y1) = Window(ty, tileCells, gh, DecoderMarginCells);
                (int tw, int x0, int x1) = Window(tx, tileCells, gw, DecoderMarginCells);
                int oy = (ty - y0) * Factor, ox = (tx - x0) * Factor;
                int ph = Math.Min(th * Factor, height - (ty * Factor)), pw = Math.Min(tw * Factor, width - (tx * Factor));
                Tensor bytes = NativeCallGuard.Run(() =>
                {
                    Tensor img = model.Network.Decode(latent[.., .., y0..y1, x0..x1]);
                    Tensor part = img[0, .., oy..(oy + ph), ox..(ox + pw)];
                    return (part.clamp(0, 1) * 255).round().to_type(ScalarType.Byte).permute(1, 2, 0).contiguous();
                });
                byte[] data = bytes.data<byte>().ToArray();
                for (int y = 0; y < ph; y++)
                {
                    Array.Copy(data, y * pw * 3, pixels, (((ty * Factor) + y) * width + (tx * Factor)) * 3, pw * 3);
                }
            }
        }

        progress?.Report(new ImageCodingProgress("decoder", tiles, tiles));
        return new RgbImage(width, height, pixels);
    }

    /// <summary>
    /// One axis of a tile starting at <paramref name="start"/>: its size (at most <paramref name="tile"/>,
    /// clipped to <paramref name="limit"/>) and the context window [lo, hi) widened by
    /// <paramref name="margin"/> on each side and clamped to [0, limit).
    /// </summary>
    private static (int Size, int Lo, int Hi) Window(int start, int tile, int limit, int margin)
    {
        int size = Math.Min(tile, limit - start);
        return (size, Math.Max(0, start - margin), Math.Min(limit, start + size + margin));
    }

    /// <summary>A region of the edge-padded image as [1, 3, h, w] floats in [0, 1].</summary>
    internal static Tensor Region(RgbImage image, int x0, int y0, int w, int h)
    {
        var data = new float[3 * h * w];
        int plane = h * w;
        for (int y = 0; y < h; y++)
        {
            int sy = Math.Min(y0 + y, image.Height - 1);
            for (int x = 0; x < w; x++)
            {
                int sx = Math.Min(x0 + x, image.Width - 1);
                int s = ((sy * image.Width) + sx) * 3;
                int o = (y * w) + x;
                data[o] = image.Pixels[s] / 255f;
                data[o + plane] = image.Pixels[s + 1] / 255f;
                data[o + (2 * plane)] = image.Pixels[s + 2] / 255f;
            }
        }

        return torch.tensor(data, [1, 3, h, w]);
    }
}
