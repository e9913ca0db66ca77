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
        if (sampleRate < 4000)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be at least 4000 Hz");
        }

        float[] filtered = HighPass(signal, sampleRate);
        signal = filtered;
        int window = (int)Math.Round(0.025 * sampleRate);
        int hop = (int)Math.Round(HopSeconds * sampleRate);
        int minLag = (int)Math.Floor(sampleRate / MaxF0), maxLag = (int)Math.Ceiling(sampleRate / MinF0);
        // Frame f reads samples [f·hop, f·hop + window + maxLag]: only frames that lie wholly inside the signal.
        int frames = signal.Length < window + maxLag + 1 ? 0 : ((signal.Length - window - maxLag - 1) / hop) + 1;
        var f0 = new double[frames];
        var energy = new double[frames];
        double loudest = 0;
        for (int f = 0; f < frames; f++)
        {
            double e = 0;
            ReadOnlySpan<float> x = signal.Slice(f * hop, window);
            foreach (float v in x)
            {
                e += v * (double)v;
            }

            energy[f] = e / window;
            loudest = Math.Max(loudest, energy[f]);
        }

        var d = new double[maxLag + 2];
        var active = new bool[frames];
        for (int f = 0; f < frames; f++)
        {
            if (energy[f] <= 0 || energy[f] < loudest * 1e-4)
            {
                continue;
            }

            active[f] = true;
            f0[f] = Yin(signal.Slice(f * hop, window + maxLag + 1), window, minLag, maxLag, sampleRate, d);
        }

        return (f0, active);
    }

    /// <summary>
    /// F0 (Hz, 0 when unvoiced or silent) of windows centred on the given samples, with the same YIN analysis
    /// as <see cref="Track"/> (samples outside the signal count as zero; silent = 40 dB below the loudest window).
    /// </summary>
    public static double[] TrackAt(ReadOnlySpan<float> signal, int sampleRate, IReadOnlyList<long> centres) =>
        TrackAt(signal, sampleRate, centres, out _);

    /// <summary>As <see cref="TrackAt(ReadOnlySpan{float}, int, IReadOnlyList{long})"/>, also giving each window's normalised difference d′ at the chosen lag (0 = perfectly periodic; 1 for silent windows).</summary>
    public static double[] TrackAt(ReadOnlySpan<float> signal, int sampleRate, IReadOnlyList<long> centres, out double[] aperiodicity, double voicingThreshold = VoicingThreshold)
    {
        ArgumentNullException.ThrowIfNull(centres);
        if (sampleRate < 4000)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be at least 4000 Hz");
        }

        float[] filtered = HighPass(signal, sampleRate);
        signal = filtered;
        int window = (int)Math.Round(0.025 * sampleRate);
        int minLag = (int)Math.Floor(sampleRate / MaxF0), maxLag = (int)Math.Ceiling(sampleRate / MinF0);
        int span = window + maxLag + 1;
        var frames = new float[centres.Count][];
        var energy = new double[centres.Count];
        double loudest = 0;
        for (int i = 0; i < centres.Count; i++)
        {
            // The analysis window (its first `window` samples) is centred on the centre; the lags reach past it.
            long first = centres[i] - (window / 2);
            var x = new float[span];
            for (int j = 0; j < span; j++)
            {
                long k = first + j;
                x[j] = k >= 0 && k < signal.Length ? signal[(int)k] : 0f;
            }

            double e = 0;
            for (int j = 0; j < window; j++)
            {
                e += x[j] * (double)x[j];
            }

            frames[i] = x;
            energy[i] = e / window;
            loudest = Math.Max(loudest, energy[i]);
        }

        var f0 = new double[centres.Count];
        aperiodicity = new double[centres.Count];
        var d = new double[maxLag + 2];
        for (int i = 0; i < centres.Count; i++)
        {
            aperiodicity[i] = 1;
            if (energy[i] > 0 && energy[i] >= loudest * 1e-4)
            {
                f0[i] = Yin(frames[i], window, minLag, maxLag, sampleRate, d, voicingThreshold, out aperiodicity[i]);
            }
        }

        return f0;
    }

    /// <summary>The 4th-order Butterworth high-pass at <see cref="HighPassHz"/>: two biquads (Q 0.5412 and 1.3066).</summary>
    private static float[] HighPass(ReadOnlySpan<float> x, int sampleRate)
    {
        var y = new float[x.Length];
        x.CopyTo(y);
        foreach (double q in (ReadOnlySpan<double>)[0.541196100146197, 1.3065629648763766])
        {
            double w = 2 * Math.PI * HighPassHz / sampleRate, alpha = Math.Sin(w) / (2 * q), c = Math.Cos(w), a0 = 1 + alpha;
            double b0 = (1 + c) / 2 / a0, b1 = -(1 + c) / a0, b2 = b0, a1 = -2 * c / a0, a2 = (1 - alpha) / a0;
            double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
            for (int i = 0; i < y.Length; i++)
            {
                double v = y[i], o = (b0 * v) + (b1 * x1) + (b2 * x2) - (a1 * y1) - (a2 * y2);
                x2 = x1;
                x1 = v;
                y2 = y1;
                y1 = o;
                y[i] = (float)o;
            }
        }

        return y;
    }

    /// <summary>YIN on one frame x of window + maxLag + 1 samples; F0 in Hz or 0 when unvoiced. d is scratch of maxLag + 2.</summary>
    private static double Yin(ReadOnlySpan<float> x, int window, int minLag, int maxLag, int sampleRate, double[] d) =>
        Yin(x, window, minLag, maxLag, sampleRate, d, VoicingThreshold, out _);

    private static double Yin(ReadOnlySpan<float> x, int window, int minLag, int maxLag, int sampleRate, double[] d, double voicingThreshold, out double aperiodicity)
    {
        d[0] = 1;
        double running = 0;
        var v = new double[x.Length];
        for (int j = 0; j < x.Length; j++)
        {
            v[j] = x[j];
        }

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

        aperiodicity = d[best];
        if (d[best] > voicingThreshold)
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
