namespace VqCodec.Codec.Metrics;

/// <summary>
/// Integrated loudness of a mono signal after ITU-R BS.1770-4: K-weighting (a high shelf of +4 dB above
/// about 1.7 kHz and a 38 Hz high pass, the two biquads derived for any sample rate by the bilinear
/// transform of the standard's analogue prototypes, as open implementations such as pyloudnorm do), mean
/// square over 400 ms blocks with 75 % overlap, an absolute gate at −70 LKFS and a relative gate 10 LU below
/// the ungated loudness. A full-scale 997 Hz sine reads −3.01 LKFS.
/// </summary>
public static class Loudness
{
    /// <summary>Integrated loudness in LKFS (LUFS); negative infinity for silence or a signal shorter than 400 ms.</summary>
    public static double Integrated(ReadOnlySpan<float> signal, int sampleRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 8000);
        double[] y = KWeight(signal, sampleRate);
        int block = (int)Math.Round(0.4 * sampleRate), step = block / 4;
        if (y.Length < block)
        {
            return double.NegativeInfinity;
        }

        var prefix = new double[y.Length + 1];
        for (int i = 0; i < y.Length; i++)
        {
            prefix[i + 1] = prefix[i] + (y[i] * y[i]);
        }

        var powers = new List<double>();
        for (int start = 0; start + block <= y.Length; start += step)
        {
            powers.Add((prefix[start + block] - prefix[start]) / block);
        }

        static double Lk(double z) => -0.691 + (10 * Math.Log10(z));
        var absolute = powers.Where(z => z > 0 && Lk(z) > -70).ToList();
        if (absolute.Count == 0)
        {
            return double.NegativeInfinity;
        }

        double relativeGate = Lk(absolute.Average()) - 10;
        var gated = absolute.Where(z => Lk(z) > relativeGate).ToList();
        return Lk(gated.Average());
    }

    /// <summary>Loudness of <paramref name="test"/> minus that of <paramref name="reference"/> in dB (LU).</summary>
    public static double Difference(ReadOnlySpan<float> reference, ReadOnlySpan<float> test, int sampleRate) =>
        Integrated(test, sampleRate) - Integrated(reference, sampleRate);

    internal static double[] KWeight(ReadOnlySpan<float> x, int rate)
    {
        // Stage 1: high shelf (f0 1681.974 Hz, gain 3.99984 dB, Q 0.7071752); stage 2: high pass (f0 38.13547 Hz, Q 0.5003270).
        (double[] b1, double[] a1) = HighShelf(rate, 1681.9744509555319, 3.99984385397, 0.7071752369554193);
        (double[] b2, double[] a2) = HighPass(rate, 38.13547087613982, 0.5003270373253953);
        var y = new double[x.Length];
        var shelf = new Biquad(b1, a1);
        var highPass = new Biquad(b2, a2);
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = highPass.Next(shelf.Next(x[i]));
        }

        return y;
    }

    private static (double[] B, double[] A) HighShelf(int rate, double f0, double gainDb, double q)
    {
        double k = Math.Tan(Math.PI * f0 / rate);
        double vh = Math.Pow(10, gainDb / 20), vb = Math.Pow(vh, 0.4996667741545416);
        double a0 = 1 + (k / q) + (k * k);
        return (
            [(vh + (vb * k / q) + (k * k)) / a0, 2 * ((k * k) - vh) / a0, (vh - (vb * k / q) + (k * k)) / a0],
            [1, 2 * ((k * k) - 1) / a0, (1 - (k / q) + (k * k)) / a0]);
    }

    private static (double[] B, double[] A) HighPass(int rate, double f0, double q)
    {
        double k = Math.Tan(Math.PI * f0 / rate);
        double a0 = 1 + (k / q) + (k * k);
        return ([1, -2, 1], [1, 2 * ((k * k) - 1) / a0, (1 - (k / q) + (k * k)) / a0]);
    }
}
