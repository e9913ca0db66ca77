namespace VqCodec.Codec.Metrics;

/// <summary>In-place iterative radix-2 complex FFT (length a power of two).</summary>
internal static class Fft
{
    public static void Transform(double[] re, double[] im)
    {
        int n = re.Length;
        if (!System.Numerics.BitOperations.IsPow2(n) || im.Length != n)
        {
            throw new ArgumentException("FFT length must be a power of two");
        }

        for (int i = 1, j = 0; i < n; i++)
        {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1)
            {
                j ^= bit;
            }

            j ^= bit;
            if (i < j)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }

        for (int len = 2; len <= n; len <<= 1)
        {
            double ang = -2 * Math.PI / len;
            double wr = Math.Cos(ang), wi = Math.Sin(ang);
            for (int i = 0; i < n; i += len)
            {
                double cr = 1, ci = 0;
                for (int k = 0; k < len / 2; k++)
                {
                    int a = i + k, b = i + k + (len / 2);
                    double tr = (re[b] * cr) - (im[b] * ci), ti = (re[b] * ci) + (im[b] * cr);
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                    (cr, ci) = ((cr * wr) - (ci * wi), (cr * wi) + (ci * wr));
                }
            }
        }
    }

    /// <summary>Magnitudes of the first n/2+1 bins of a windowed, zero-padded frame.</summary>
    public static double[] Magnitudes(ReadOnlySpan<float> signal, int start, int frame, double[] window, int nfft)
    {
        var re = new double[nfft];
        var im = new double[nfft];
        for (int i = 0; i < frame; i++)
        {
            int s = start + i;
            re[i] = s >= 0 && s < signal.Length ? signal[s] * window[i] : 0;
        }

        Transform(re, im);
        var mag = new double[(nfft / 2) + 1];
        for (int k = 0; k < mag.Length; k++)
        {
            mag[k] = Math.Sqrt((re[k] * re[k]) + (im[k] * im[k]));
        }

        return mag;
    }

    public static double[] Hann(int n, bool periodic = false)
    {
        var w = new double[n];
        double d = periodic ? n : n - 1;
        for (int i = 0; i < n; i++)
        {
            w[i] = 0.5 - (0.5 * Math.Cos(2 * Math.PI * i / d));
        }

        return w;
    }
}
