using VqCodec.Codec.Image;

namespace VqCodec.Codec.Metrics;

/// <summary>Full-reference image quality metrics on 8-bit RGB.</summary>
public static class ImageMetrics
{
    private static readonly double[] MsSsimWeights = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];

    /// <summary>Smallest side MS-SSIM accepts (11-tap window after four halvings).</summary>
    public const int MsSsimMinSide = 11 << 4;

    /// <summary>PSNR in dB over all RGB samples (peak 255); +∞ for identical images.</summary>
    /// <exception cref="ArgumentException">The images differ in size.</exception>
    public static double Psnr(RgbImage reference, RgbImage test)
    {
        CheckSameSize(reference, test);
        double mse = Mse(reference.Pixels, test.Pixels);
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    /// <summary>Mean squared error between two equal-length sample buffers.</summary>
    public static double Mse(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length || a.Length == 0)
        {
            throw new ArgumentException("buffers must be non-empty and of equal length");
        }

        long sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            int d = a[i] - b[i];
            sum += d * d;
        }

        return (double)sum / a.Length;
    }

    /// <summary>
    /// Blockiness of a decoded image on the 8×8 grid: the mean absolute luma step (BT.601 Y) between neighbouring
    /// pixels across block boundaries (x or y a multiple of 8) minus the mean absolute step between neighbours
    /// inside blocks, horizontally and vertically pooled. About 0 for content without block structure; positive
    /// when block edges stand out.
    /// </summary>
    public static double Blockiness(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int w = image.Width, h = image.Height;
        double Y(int x, int y) => image.LumaAt(((y * w) + x) * 3);
        double across = 0, inside = 0;
        long nAcross = 0, nInside = 0;
        void Add(double step, bool boundary)
        {
            if (boundary)
            {
                across += step;
                nAcross++;
            }
            else
            {
                inside += step;
                nInside++;
            }
        }

        for (int y = 0; y < h; y++)
        {
            for (int x = 1; x < w; x++)
            {
                Add(Math.Abs(Y(x, y) - Y(x - 1, y)), x % 8 == 0);
                if (y > 0)
                {
                    Add(Math.Abs(Y(x, y) - Y(x, y - 1)), y % 8 == 0);
                }
            }
        }

        return nAcross == 0 || nInside == 0 ? 0 : (across / nAcross) - (inside / nInside);
    }

    /// <summary>
    /// MS-SSIM (Wang, Simoncelli and Bovik 2003): five scales, 11-tap Gaussian window with σ = 1.5,
    /// 2×2 average down-sampling, the standard exponents, computed per RGB channel and averaged.
    /// Negative contrast-structure terms are clamped to zero.
    /// </summary>
    /// <exception cref="ArgumentException">Sizes differ, or a side is below <see cref="MsSsimMinSide"/>.</exception>
    public static double MsSsim(RgbImage reference, RgbImage test)
    {
        CheckSameSize(reference, test);
        if (reference.Width < MsSsimMinSide || reference.Height < MsSsimMinSide)
        {
            throw new ArgumentException($"MS-SSIM needs at least {MsSsimMinSide}x{MsSsimMinSide} pixels");
        }

        double total = 0;
        for (int c = 0; c < 3; c++)
        {
            double[] x = Channel(reference, c), y = Channel(test, c);
            int w = reference.Width, h = reference.Height;
            double result = 1;
            for (int scale = 0; scale < 5; scale++)
            {
                (double ssim, double cs) = Ssim(x, y, w, h);
                result *= Math.Pow(Math.Max(scale == 4 ? ssim : cs, 0), MsSsimWeights[scale]);
                if (scale < 4)
                {
                    (x, _, _) = Halve(x, w, h);
                    (y, w, h) = Halve(y, w, h);
                }
            }

            total += result;
        }

        return total / 3;
    }

    private static double[] Channel(RgbImage image, int c)
    {
        var v = new double[image.Width * image.Height];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = image.Pixels[(i * 3) + c];
        }

        return v;
    }

    private static (double[] Values, int Width, int Height) Halve(double[] v, int w, int h)
    {
        int hw = w / 2, hh = h / 2;
        var o = new double[hw * hh];
        for (int y = 0; y < hh; y++)
        {
            for (int x = 0; x < hw; x++)
            {
                int s = (2 * y * w) + (2 * x);
                o[(y * hw) + x] = (v[s] + v[s + 1] + v[s + w] + v[s + w + 1]) / 4;
            }
        }

        return (o, hw, hh);
    }

    private static (double Ssim, double Cs) Ssim(double[] x, double[] y, int w, int h)
    {
        const double c1 = 0.01 * 255 * 0.01 * 255, c2 = 0.03 * 255 * 0.03 * 255;
        double[] g = Gaussian(11, 1.5);
        double[] mx = Blur(x, w, h, g, out int ow, out int oh);
        double[] my = Blur(y, w, h, g, out _, out _);
        double[] xx = Blur(Mul(x, x), w, h, g, out _, out _);
        double[] yy = Blur(Mul(y, y), w, h, g, out _, out _);
        double[] xy = Blur(Mul(x, y), w, h, g, out _, out _);
        double ssim = 0, cs = 0;
        int n = ow * oh;
        for (int i = 0; i < n; i++)
        {
            double vx = xx[i] - (mx[i] * mx[i]), vy = yy[i] - (my[i] * my[i]), cov = xy[i] - (mx[i] * my[i]);
            double csi = ((2 * cov) + c2) / (vx + vy + c2);
            cs += csi;
            ssim += ((2 * mx[i] * my[i]) + c1) / ((mx[i] * mx[i]) + (my[i] * my[i]) + c1) * csi;
        }

        return (ssim / n, cs / n);
    }

    private static double[] Mul(double[] a, double[] b)
    {
        var r = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            r[i] = a[i] * b[i];
        }

        return r;
    }

    private static double[] Gaussian(int size, double sigma)
    {
        var g = new double[size];
        double sum = 0;
        for (int i = 0; i < size; i++)
        {
            double d = i - ((size - 1) / 2.0);
            g[i] = Math.Exp(-(d * d) / (2 * sigma * sigma));
            sum += g[i];
        }

        for (int i = 0; i < size; i++)
        {
            g[i] /= sum;
        }

        return g;
    }

    /// <summary>Separable 'valid' convolution.</summary>
    private static double[] Blur(double[] v, int w, int h, double[] g, out int ow, out int oh)
    {
        int k = g.Length;
        ow = w - k + 1;
        oh = h - k + 1;
        var tmp = new double[ow * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                double s = 0;
                for (int i = 0; i < k; i++)
                {
                    s += v[(y * w) + x + i] * g[i];
                }

                tmp[(y * ow) + x] = s;
            }
        }

        var o = new double[ow * oh];
        for (int y = 0; y < oh; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                double s = 0;
                for (int i = 0; i < k; i++)
                {
                    s += tmp[((y + i) * ow) + x] * g[i];
                }

                o[(y * ow) + x] = s;
            }
        }

        return o;
    }

    private static void CheckSameSize(RgbImage a, RgbImage b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Width != b.Width || a.Height != b.Height)
        {
            throw new ArgumentException($"image sizes differ: {a.Width}x{a.Height} vs {b.Width}x{b.Height}");
        }
    }
}
