namespace VqCodec.Codec.Image;

/// <summary>
/// Where the detail layer's transform blocks meet, recorded by its decoder on the 8×8 cell grid: whether a block of
/// any component starts at a cell's left or top edge, so that the edge is a block edge, and whether any component
/// coded coefficients in the block covering the cell.
/// </summary>
internal sealed class DetailBlockMap
{
    private readonly bool[] _coded;
    private readonly bool[] _left;
    private readonly bool[] _top;

    public DetailBlockMap(int width, int height)
    {
        CellsX = (width + 7) / 8;
        CellsY = (height + 7) / 8;
        _coded = new bool[CellsX * CellsY];
        _left = new bool[CellsX * CellsY];
        _top = new bool[CellsX * CellsY];
    }

    public int CellsX { get; }

    public int CellsY { get; }

    /// <summary>Marks the cells of the <paramref name="side"/>-pixel block at pixel (x0, y0): coded or not, and its left and top edges as block edges.</summary>
    public void Mark(int x0, int y0, int side, bool coded)
    {
        for (int cy = y0 / 8; cy < Math.Min(CellsY, (y0 + side) / 8); cy++)
        {
            for (int cx = x0 / 8; cx < Math.Min(CellsX, (x0 + side) / 8); cx++)
            {
                int cell = (cy * CellsX) + cx;
                _coded[cell] |= coded;
                _left[cell] |= cx * 8 == x0;
                _top[cell] |= cy * 8 == y0;
            }
        }
    }

    /// <summary>Whether the vertical edge at x = 8·<paramref name="cx"/> in cell row <paramref name="cy"/> is a block edge (in any component) with coefficients on at least one side.</summary>
    public bool FilterVertical(int cx, int cy) => _left[(cy * CellsX) + cx] && (_coded[(cy * CellsX) + cx - 1] || _coded[(cy * CellsX) + cx]);

    /// <summary>Whether the horizontal edge at y = 8·<paramref name="cy"/> in cell column <paramref name="cx"/> is a block edge (in any component) with coefficients on at least one side.</summary>
    public bool FilterHorizontal(int cx, int cy) => _top[(cy * CellsX) + cx] && (_coded[((cy - 1) * CellsX) + cx] || _coded[(cy * CellsX) + cx]);
}

/// <summary>
/// A deblocking filter for the detail layer's block edges, for images decoded without the restoration network (which
/// removes blocking itself and is trained on unfiltered images). Modelled on H.264's normal-strength filter: across a
/// block edge where either block has coefficients, the two pixels nearest the edge move toward each other by at most
/// tc, and only where the luma step across the edge is under α and the steps beside it under β, so real edges and
/// texture stay. α, β and tc scale with the luma quantizer step. Decoder-side post-processing: not signalled in the
/// file, not part of the normative decoding (spec/container.md §4b).
/// </summary>
internal static class DetailDeblocking
{
    /// <summary>
    /// α, β and tc as multiples of the luma step, tuned on 6 training photographs (train_lossless, every sixth, 768×512
    /// centre crops) at steps 12 / 20 / 32 / 56 over a grid of 81 settings with and without the p1/q1 update: these gave
    /// +0.180 dB (unrestored PSNR) and blockiness 1.22 → 0.15 (design.md, "Deblocking filter").
    /// </summary>
    internal const double Alpha = 1.0, Beta = 0.375, Tc = 0.1875;

    /// <summary>Filters <paramref name="image"/> in place: vertical edges first, then horizontal ones.</summary>
    public static void Apply(RgbImage image, DetailBlockMap map, double lumaStep, CancellationToken cancellationToken = default)
    {
        double alpha = Alpha * lumaStep, beta = Beta * lumaStep, tc = Tc * lumaStep;
        int w = image.Width, h = image.Height;
        for (int y = 0; y < h; y++)
        {
            if (y % 64 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            for (int cx = 1; cx < map.CellsX && (cx * 8) + 1 < w; cx++)
            {
                if (map.FilterVertical(cx, y / 8))
                {
                    Filter(image, (((y * w) + (cx * 8)) * 3), 3, (cx * 8) + 2 < w, alpha, beta, tc);
                }
            }
        }

        for (int cy = 1; cy < map.CellsY && (cy * 8) + 1 < h; cy++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (int x = 0; x < w; x++)
            {
                if (map.FilterHorizontal(x / 8, cy))
                {
                    Filter(image, ((((cy * 8) * w) + x) * 3), 3 * w, (cy * 8) + 2 < h, alpha, beta, tc);
                }
            }
        }
    }

    /// <summary>
    /// One line across an edge: <paramref name="q0"/> is the first pixel after it, <paramref name="d"/> the step between
    /// neighbours, <paramref name="hasQ2"/> whether the line has a third pixel after the edge (edges sit at 8 or more
    /// pixels from the start, so it always has three before).
    /// </summary>
    private static void Filter(RgbImage image, int q0, int d, bool hasQ2, double alpha, double beta, double tc)
    {
        byte[] p = image.Pixels;
        int p0 = q0 - d, p1 = q0 - (2 * d), q1 = q0 + d;
        double yp1 = image.LumaAt(p1), yp0 = image.LumaAt(p0), yq0 = image.LumaAt(q0), yq1 = image.LumaAt(q1);
        if (Math.Abs(yp0 - yq0) >= alpha || Math.Abs(yp1 - yp0) >= beta || Math.Abs(yq1 - yq0) >= beta)
        {
            return;
        }

        // The second pixels each side move too where their own side is smooth (H.264's p1/q1 update).
        int p2 = q0 - (3 * d), q2 = q0 + (2 * d);
        bool moveP1 = Math.Abs(image.LumaAt(p2) - yp0) < beta;
        bool moveQ1 = hasQ2 && Math.Abs(image.LumaAt(q2) - yq0) < beta;
        for (int c = 0; c < 3; c++)
        {
            byte vp1 = p[p1 + c], vp0 = p[p0 + c], vq0 = p[q0 + c], vq1 = p[q1 + c];
            double delta = Math.Clamp((((vq0 - vp0) * 4) + (vp1 - vq1)) / 8.0, -tc, tc);
            p[p0 + c] = DetailLayer.AddClamped(vp0, delta);
            p[q0 + c] = DetailLayer.AddClamped(vq0, -delta);
            double mid = (vp0 + vq0) / 2.0;
            if (moveP1)
            {
                p[p1 + c] = Outer(p[p2 + c], vp1, mid, tc);
            }

            if (moveQ1)
            {
                p[q1 + c] = Outer(p[q2 + c], vq1, mid, tc);
            }
        }
    }

    /// <summary>The second pixel from an edge, <paramref name="v1"/>, moved toward the mean of its outer neighbour <paramref name="v2"/> and the edge pixels' <paramref name="mid"/>, by at most tc.</summary>
    private static byte Outer(byte v2, byte v1, double mid, double tc) => DetailLayer.AddClamped(v1, Math.Clamp((v2 + mid - (2.0 * v1)) / 2, -tc, tc));
}
