namespace VqCodec.Codec.Metrics;

/// <summary>
/// Fundamental-frequency tracking with YIN (de Cheveigné and Kawahara 2002): per frame the difference
/// function d(τ) = Σ (x[j] − x[j+τ])² over a 25 ms window, its cumulative-mean normalisation d'(τ), the
/// first dip below an absolute threshold (else the global minimum) refined by parabolic interpolation.
/// A frame is voiced when d' at the chosen lag is below <see cref="VoicingThreshold"/> and the frame is no
/// more than 40 dB below the loudest frame. Frames every 10 ms; F0 range 55–500 Hz.
/// </summary>
public static class PitchTracker
{
    /// <summary>Frame hop in seconds.</summary>
    public const double HopSeconds = 0.01;

    /// <summary>Lowest and highest F0 searched (Hz).</summary>
    public const double MinF0 = 55, MaxF0 = 500;

    /// <summary>YIN's absolute threshold for the first dip.</summary>
    public const double DipThreshold = 0.15;

    /// <summary>Largest normalised difference at the chosen lag for a voiced frame.</summary>
    public const double VoicingThreshold = 0.3;

    /// <summary>Corner of the high-pass filter (4th-order Butterworth) applied before the analysis: mains hum and rumble
    /// below it otherwise compete with the voice's periodicity (a 60 Hz hum under a fading 155 Hz voice raised
    /// d′ from 0.19–0.36 to 0.26–0.51 on a LibriSpeech validation file).</summary>
    public const double HighPassHz = 80;

    /// <summary>F0 per 10 ms frame in Hz, 0 for unvoiced or silent frames.</summary>
    public static double[] Track(ReadOnlySpan<float> signal, int sampleRate) => TrackFrames(signal, sampleRate).F0;

    /// <summary>F0 per frame (0 = unvoiced or silent) and whether each frame is active (within 40 dB of the loudest).</summary>
    internal static (double[] F0, bool[] Active) TrackFrames(ReadOnlySpan<float> signal, int sampleRate)
    {
        (int window, _, int maxLag) = Geometry(sampleRate);
        int hop = (int)Math.Round(HopSeconds * sampleRate);

        // Frame f reads samples [f·hop, f·hop + window + maxLag]: only frames that lie wholly inside the signal.
        int frames = signal.Length < window + maxLag + 1 ? 0 : ((signal.Length - window - maxLag - 1) / hop) + 1;
        var starts = new long[frames];
        for (int f = 0; f < frames; f++)
        {
            starts[f] = (long)f * hop;
        }

        return Analyse(HighPass(signal, sampleRate), sampleRate, starts);
    }

    /// <summary>
    /// F0 (Hz, 0 when unvoiced or silent) of windows centred on the given samples, with the same YIN analysis
    /// as <see cref="Track"/> (samples outside the signal count as zero; silent = 40 dB below the loudest window).
    /// </summary>
    public static double[] TrackAt(ReadOnlySpan<float> signal, int sampleRate, IReadOnlyList<long> centres)
    {
        ArgumentNullException.ThrowIfNull(centres);
        (int window, _, _) = Geometry(sampleRate);

        // The analysis window (its first `window` samples) is centred on the centre; the lags reach past it.
        return Analyse(HighPass(signal, sampleRate), sampleRate, [.. centres.Select(c => c - (window / 2))]).F0;
    }

    /// <summary>Window length and lag range at <paramref name="sampleRate"/>.</summary>
    private static (int Window, int MinLag, int MaxLag) Geometry(int sampleRate)
    {
        if (sampleRate < 4000)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be at least 4000 Hz");
        }

        return ((int)Math.Round(0.025 * sampleRate), (int)Math.Floor(sampleRate / MaxF0), (int)Math.Ceiling(sampleRate / MinF0));
    }

    /// <summary>
    /// YIN on the frames of the (high-passed) <paramref name="signal"/> that start at <paramref name="starts"/> (samples
    /// outside the signal are zero); a frame more than 40 dB below the loudest one is inactive and unvoiced.
    /// </summary>
    private static (double[] F0, bool[] Active) Analyse(float[] signal, int sampleRate, long[] starts)
    {
        (int window, int minLag, int maxLag) = Geometry(sampleRate);
        var energy = new double[starts.Length];
        double loudest = 0;
        for (int f = 0; f < starts.Length; f++)
        {
            double e = 0;
            for (long k = Math.Max(0, starts[f]); k < Math.Min(signal.Length, starts[f] + window); k++)
            {
                e += signal[k] * (double)signal[k];
            }

            energy[f] = e / window;
            loudest = Math.Max(loudest, energy[f]);
        }

        var f0 = new double[starts.Length];
        var active = new bool[starts.Length];
        var v = new double[window + maxLag + 1];
        var d = new double[maxLag + 2];
        for (int f = 0; f < starts.Length; f++)
        {
            if (energy[f] <= 0 || energy[f] < loudest * 1e-4)
            {
                continue;
            }

            active[f] = true;
            for (int j = 0; j < v.Length; j++)
            {
                long k = starts[f] + j;
                v[j] = k >= 0 && k < signal.Length ? signal[k] : 0;
            }

            f0[f] = Yin(v, window, minLag, maxLag, sampleRate, d);
        }

        return (f0, active);
    }

    /// <summary>The 4th-order Butterworth high-pass at <see cref="HighPassHz"/>: two biquads (Q 0.5412 and 1.3066).</summary>
    private static float[] HighPass(ReadOnlySpan<float> x, int sampleRate)
    {
        var y = new float[x.Length];
        x.CopyTo(y);
        foreach (double q in (ReadOnlySpan<double>)[0.541196100146197, 1.3065629648763766])
        {
            double w = 2 * Math.PI * HighPassHz / sampleRate, alpha = Math.Sin(w) / (2 * q), c = Math.Cos(w), a0 = 1 + alpha;
            var section = new Biquad([(1 + c) / 2 / a0, -(1 + c) / a0, (1 + c) / 2 / a0], [1, -2 * c / a0, (1 - alpha) / a0]);
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = (float)section.Next(y[i]);
            }
        }

        return y;
    }

    /// <summary>YIN on one frame v of window + maxLag + 1 samples; F0 in Hz or 0 when unvoiced. d is scratch of maxLag + 2.</summary>
    private static double Yin(double[] v, int window, int minLag, int maxLag, int sampleRate, double[] d)
    {
        d[0] = 1;
        double running = 0;

        int lanes = System.Numerics.Vector<double>.Count, whole = window - (window % lanes);
        for (int tau = 1; tau <= maxLag + 1; tau++)
        {
            // The difference function, in double precision, a vector of lags' products at a time.
            var acc = System.Numerics.Vector<double>.Zero;
            for (int j = 0; j < whole; j += lanes)
            {
                var diff = new System.Numerics.Vector<double>(v, j) - new System.Numerics.Vector<double>(v, j + tau);
                acc += diff * diff;
            }

            double sum = System.Numerics.Vector.Sum(acc);
            for (int j = whole; j < window; j++)
            {
                double diff = v[j] - v[j + tau];
                sum += diff * diff;
            }

            running += sum;
            d[tau] = running > 0 ? sum * tau / running : 1;
        }

        int best = -1;
        for (int tau = minLag; tau <= maxLag; tau++)
        {
            if (d[tau] < DipThreshold)
            {
                while (tau + 1 <= maxLag && d[tau + 1] < d[tau])
                {
                    tau++;
                }

                best = tau;
                break;
            }
        }

        if (best < 0)
        {
            best = minLag;
            for (int tau = minLag + 1; tau <= maxLag; tau++)
            {
                if (d[tau] < d[best])
                {
                    best = tau;
                }
            }
        }

        if (d[best] > VoicingThreshold)
        {
            return 0;
        }

        // Parabolic interpolation of the dip for sub-sample lag precision.
        double lag = best;
        double a = d[best - 1], b = d[best], c = d[best + 1];
        double denominator = a - (2 * b) + c;
        if (denominator > 0)
        {
            lag += Math.Clamp(0.5 * (a - c) / denominator, -0.5, 0.5);
        }

        return sampleRate / lag;
    }
}
