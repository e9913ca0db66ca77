using TorchSharp;
using VqCodec.Codec.Models;
using static TorchSharp.torch;

namespace VqCodec.Codec.Image;

/// <summary>
/// The networks over an image of any size: padded to a multiple of 16 by edge replication and cropped back on
/// decode; large images run in tiles with overlapping context wider than the receptive fields (112 px for the
/// encoder, 8 latent cells = 128 px for the decoder), so memory is bounded by the tile size while results match
/// whole-image processing up to the receptive field.
/// </summary>
internal static class ImageTiling
{
    /// <summary>Pixels per token cell along each side (the model's down-sampling).</summary>
    public const int Factor = 16;

    /// <summary>Encoder context each side of a tile, in pixels (wider than its receptive field).</summary>
    public const int EncoderMargin = 112;

    /// <summary>
    /// Decoder context each side of a tile, in token cells. The decoder's receptive field is about 8 cells, but its far
    /// edge weighs little: on a 4000×3000 photo 6 cells changed the decoded pixels by at most 2 levels (mean 0.003) against
    /// 8, and took 15.2 s instead of 16.5 s (4 cells: at most 6 levels, 14.7 s).
    /// </summary>
    public const int DecoderMarginCells = 6;

    /// <summary>Rows and columns of the token grid of a <paramref name="width"/> × <paramref name="height"/> image (one token per 16 × 16 pixels, edges rounded up).</summary>
    public static (int Height, int Width) GridSize(int width, int height) => ((height + Factor - 1) / Factor, (width + Factor - 1) / Factor);

    /// <summary>Token grids [level][gh·gw] for the first <paramref name="levels"/> levels.</summary>
    public static int[][] EncodeTokens(ImageModel model, RgbImage image, int levels, int tileSize, CancellationToken cancellationToken, int refineSteps = 0, IProgress<ImageCodingProgress>? progress = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        int hp = (image.Height + Factor - 1) / Factor * Factor, wp = (image.Width + Factor - 1) / Factor * Factor;
        int gh = hp / Factor, gw = wp / Factor, d = model.Config.LatentDim;
        var latent = new float[d * gh * gw];
        (int tileY, int tileX, int tiles) = Tiles(hp, wp, tileSize, Factor);
        int done = 0;
        for (int ty = 0; ty < hp; ty += tileY)
        {
            for (int tx = 0; tx < wp; tx += tileX)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(new ImageCodingProgress("encoder", done++, tiles));
                using var tileScope = NewDisposeScope();
                (int th, int y0, int y1) = Window(ty, tileY, hp, EncoderMargin);
                (int tw, int x0, int x1) = Window(tx, tileX, wp, EncoderMargin);
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
            latent = LatentRefinement.Refine(model, image, latent, gh, gw, levels, refineSteps, cancellationToken);
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

    /// <summary>Pixels of a <paramref name="width"/> × <paramref name="height"/> image decoded from token grids [level][cells], tile by tile.</summary>
    public static RgbImage DecodeTokens(ImageModel model, int width, int height, int[][] tokens, int tileSize, CancellationToken cancellationToken, IProgress<ImageCodingProgress>? progress = null)
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
        (int cellsY, int cellsX, int tiles) = Tiles(gh, gw, tileSize / Factor, 1);
        int done = 0;
        for (int ty = 0; ty < gh; ty += cellsY)
        {
            for (int tx = 0; tx < gw; tx += cellsX)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(new ImageCodingProgress("decoder", done++, tiles));
                using var tileScope = NewDisposeScope();
                (int th, int y0, int y1) = Window(ty, cellsY, gh, DecoderMarginCells);
                (int tw, int x0, int x1) = Window(tx, cellsX, gw, DecoderMarginCells);
                int oy = (ty - y0) * Factor, ox = (tx - x0) * Factor;
                int ph = Math.Min(th * Factor, height - (ty * Factor)), pw = Math.Min(tw * Factor, width - (tx * Factor));
                Tensor bytes = NativeCallGuard.Run(() =>
                {
                    Tensor img = model.Network.Decode(latent[.., .., y0..y1, x0..x1]);
                    Tensor part = img[0, .., oy..(oy + ph), ox..(ox + pw)];
                    return ToBytes(part);
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
    /// The tile length along an axis of <paramref name="extent"/> units for a requested <paramref name="tile"/>: the whole
    /// axis when it is at most 1.5 tiles (one tile with no margins costs less than two with them), else
    /// <paramref name="tile"/>; a multiple of <paramref name="unit"/> either way.
    /// </summary>
    private static int AxisTile(int extent, int tile, int unit) => extent <= tile + (tile / 2) ? Math.Max(unit, (extent + unit - 1) / unit * unit) : tile;

    /// <summary>Tile lengths down and across (<see cref="AxisTile"/>) of a <paramref name="height"/> × <paramref name="width"/> extent, and how many tiles cover it.</summary>
    public static (int Y, int X, int Count) Tiles(int height, int width, int tile, int unit)
    {
        int y = AxisTile(height, tile, unit), x = AxisTile(width, tile, unit);
        return (y, x, TileCount(height, width, y, x));
    }

    /// <summary>How many tiles of <paramref name="tileY"/> × <paramref name="tileX"/> cover a <paramref name="height"/> × <paramref name="width"/> extent.</summary>
    public static int TileCount(int height, int width, int tileY, int tileX) => ((height + tileY - 1) / tileY) * ((width + tileX - 1) / tileX);

    /// <summary>
    /// One axis of a tile starting at <paramref name="start"/>: its size (at most <paramref name="tile"/>,
    /// clipped to <paramref name="limit"/>) and the context window [lo, hi) widened by
    /// <paramref name="margin"/> on each side and clamped to [0, limit).
    /// </summary>
    public static (int Size, int Lo, int Hi) Window(int start, int tile, int limit, int margin)
    {
        int size = Math.Min(tile, limit - start);
        return (size, Math.Max(0, start - margin), Math.Min(limit, start + size + margin));
    }

    /// <summary>[3, h, w] floats → [h, w, 3] bytes: clamped to [0, 1], scaled by 255 and rounded (in place on one copy).</summary>
    public static Tensor ToBytes(Tensor planes)
    {
        using Tensor scaled = planes.clamp(0, 1);
        scaled.mul_(255).round_();
        using Tensor bytes = scaled.to_type(ScalarType.Byte);
        using Tensor interleaved = bytes.permute(1, 2, 0);
        return interleaved.contiguous();
    }

    /// <summary>Byte value → float in [0, 1], exactly <c>v / 255f</c>.</summary>
    private static readonly float[] UnitScale = Enumerable.Range(0, 256).Select(v => v / 255f).ToArray();

    /// <summary>
    /// A region of the edge-padded image as [1, 3, h, w] floats in [0, 1], written row by row into native memory (a
    /// whole-region managed array was a fresh large-object allocation per call, and its page faults made this take
    /// 25 ms for a 768×512 region).
    /// </summary>
    public static Tensor Region(RgbImage image, int x0, int y0, int w, int h)
    {
        Tensor result = torch.empty(1, 3, h, w);
        int plane = h * w;
        ReadOnlySpan<float> scale = UnitScale;
        ReadOnlySpan<byte> pixels = image.Pixels;
        float[] rows = System.Buffers.ArrayPool<float>.Shared.Rent(3 * w);
        try
        {
            using var access = result.data<float>();
            Span<float> r = rows.AsSpan(0, w), g = rows.AsSpan(w, w), b = rows.AsSpan(2 * w, w);

            // Columns inside the image are read straight; those past its right edge repeat its last column.
            int inside = Math.Clamp(image.Width - x0, 0, w);
            for (int y = 0; y < h; y++)
            {
                int sy = Math.Min(y0 + y, image.Height - 1);
                ReadOnlySpan<byte> row = inside > 0 ? pixels.Slice(((sy * image.Width) + x0) * 3, inside * 3) : default;
                for (int x = 0; x < inside; x++)
                {
                    r[x] = scale[row[3 * x]];
                    g[x] = scale[row[(3 * x) + 1]];
                    b[x] = scale[row[(3 * x) + 2]];
                }

                int last = ((sy * image.Width) + image.Width - 1) * 3;
                for (int x = inside; x < w; x++)
                {
                    r[x] = scale[pixels[last]];
                    g[x] = scale[pixels[last + 1]];
                    b[x] = scale[pixels[last + 2]];
                }

                access.CopyFrom(r, 0, (long)y * w);
                access.CopyFrom(g, 0, plane + ((long)y * w));
                access.CopyFrom(b, 0, (2L * plane) + ((long)y * w));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(rows);
        }

        return result;
    }
}
