namespace VqCodec.Codec.Audio;

/// <summary>
/// Band-limited sample-rate conversion by windowed-sinc interpolation (Kaiser window, β = 8.6, 32 zero
/// crossings per side), with the cut-off at 0.95 × the lower Nyquist frequency so that down-sampling
/// does not alias. Works on any rational or irrational ratio; O(N · taps).
/// </summary>
public static class Resampler
{
    private const int ZeroCrossings = 32;
    private const double Beta = 8.6;

    /// <summary>Resamples <paramref name="input"/> from <paramref name="fromRate"/> to <paramref name="toRate"/> Hz.</summary>
    public static float[] Resample(ReadOnlySpan<float> input, int fromRate, int toRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fromRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toRate);
        if (fromRate == toRate || input.Length == 0)
        {
            return input.ToArray();
        }

        double ratio = (double)toRate / fromRate;
        double cutoff = 0.95 * Math.Min(1.0, ratio); // relative to the input Nyquist frequency
        long outLength = (long)Math.Ceiling(input.Length * ratio);
        if (outLength > int.MaxValue / 2)
        {
            throw new ArgumentException("resampled signal too long");
        }

        var output = new float[outLength];
        double halfWidth = ZeroCrossings / cutoff;
        double i0Beta = BesselI0(Beta);
        float[] src = input.ToArray();
        Parallel.For(0, (int)outLength, n =>
        {
            double t = n / ratio;
            int first = (int)Math.Ceiling(t - halfWidth), last = (int)Math.Floor(t + halfWidth);
            double sum = 0;
            for (int k = Math.Max(0, first); k <= Math.Min(src.Length - 1, last); k++)
            {
                double x = k - t;
                double w = x / halfWidth;
                double kaiser = BesselI0(Beta * Math.Sqrt(Math.Max(0, 1 - (w * w)))) / i0Beta;
                double arg = Math.PI * cutoff * x;
                double sinc = Math.Abs(arg) < 1e-12 ? 1 : Math.Sin(arg) / arg;
                sum += src[k] * cutoff * sinc * kaiser;
            }

            output[n] = (float)sum;
        });
        return output;
    }

    private static double BesselI0(double x)
    {
        double sum = 1, term = 1, half = x / 2;
        for (int k = 1; k < 50; k++)
        {
            term *= half / k * (half / k);
            sum += term;
            if (term < sum * 1e-16)
            {
                break;
            }
        }

        return sum;
    }
}
