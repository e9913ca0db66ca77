namespace VqCodec.Codec.Metrics;

/// <summary>
/// Bjøntegaard delta rate: the average rate difference between two rate-distortion curves over their
/// overlapping quality range, with log-rate interpolated as a piecewise cubic (monotone PCHIP,
/// Fritsch-Carlson) function of quality, as in the current VCEG/JVET practice.
/// </summary>
public static class BjontegaardDelta
{
    /// <summary>
    /// BD-rate of <paramref name="test"/> against <paramref name="anchor"/> as a fraction (−0.2 = 20 % fewer
    /// bits at equal quality). Points are (rate, quality); rates must be positive.
    /// </summary>
    /// <returns>NaN when the quality ranges do not overlap or a curve has fewer than two distinct points.</returns>
    public static double Rate(IEnumerable<(double Rate, double Quality)> anchor, IEnumerable<(double Rate, double Quality)> test)
    {
        (double[] qa, double[] la) = Prepare(anchor);
        (double[] qt, double[] lt) = Prepare(test);
        if (qa.Length < 2 || qt.Length < 2)
        {
            return double.NaN;
        }

        double lo = Math.Max(qa[0], qt[0]), hi = Math.Min(qa[^1], qt[^1]);
        if (!(hi > lo))
        {
            return double.NaN;
        }

        const int steps = 2000;
        double sum = 0;
        for (int i = 0; i <= steps; i++)
        {
            double q = lo + ((hi - lo) * i / steps);
            double weight = i == 0 || i == steps ? 0.5 : 1;
            sum += weight * (Pchip(qt, lt, q) - Pchip(qa, la, q));
        }

        double meanLogDiff = sum / steps;
        return Math.Exp(meanLogDiff) - 1;
    }

    private static (double[] Quality, double[] LogRate) Prepare(IEnumerable<(double Rate, double Quality)> points)
    {
        var list = points.Where(p => p.Rate > 0 && double.IsFinite(p.Rate) && double.IsFinite(p.Quality))
            .OrderBy(p => p.Quality)
            .ToList();
        var q = new List<double>();
        var l = new List<double>();
        foreach ((double rate, double quality) in list)
        {
            if (q.Count > 0 && quality <= q[^1])
            {
                continue;
            }

            q.Add(quality);
            l.Add(Math.Log(rate));
        }

        return (q.ToArray(), l.ToArray());
    }

    /// <summary>Monotone piecewise cubic Hermite interpolation (Fritsch-Carlson slopes).</summary>
    internal static double Pchip(double[] x, double[] y, double at)
    {
        int n = x.Length;
        if (at <= x[0])
        {
            return y[0];
        }

        if (at >= x[n - 1])
        {
            return y[n - 1];
        }

        var h = new double[n - 1];
        var delta = new double[n - 1];
        for (int i = 0; i < n - 1; i++)
        {
            h[i] = x[i + 1] - x[i];
            delta[i] = (y[i + 1] - y[i]) / h[i];
        }

        var d = new double[n];
        if (n == 2)
        {
            d[0] = d[1] = delta[0];
        }
        else
        {
            for (int i = 1; i < n - 1; i++)
            {
                if (delta[i - 1] * delta[i] <= 0)
                {
                    d[i] = 0;
                }
                else
                {
                    double w1 = (2 * h[i]) + h[i - 1], w2 = h[i] + (2 * h[i - 1]);
                    d[i] = (w1 + w2) / ((w1 / delta[i - 1]) + (w2 / delta[i]));
                }
            }

            d[0] = EndSlope(h[0], h[1], delta[0], delta[1]);
            d[n - 1] = EndSlope(h[n - 2], h[n - 3], delta[n - 2], delta[n - 3]);
        }

        int k = Array.BinarySearch(x, at);
        if (k >= 0)
        {
            return y[k];
        }

        k = ~k - 1;
        double t = (at - x[k]) / h[k];
        double t2 = t * t, t3 = t2 * t;
        return ((2 * t3) - (3 * t2) + 1) * y[k] + (t3 - (2 * t2) + t) * h[k] * d[k] + ((-2 * t3) + (3 * t2)) * y[k + 1] + (t3 - t2) * h[k] * d[k + 1];
    }

    private static double EndSlope(double h0, double h1, double d0, double d1)
    {
        double d = (((2 * h0) + h1) * d0 - (h0 * d1)) / (h0 + h1);
        if (Math.Sign(d) != Math.Sign(d0))
        {
            return 0;
        }

        if (Math.Sign(d0) != Math.Sign(d1) && Math.Abs(d) > Math.Abs(3 * d0))
        {
            return 3 * d0;
        }

        return d;
    }
}
