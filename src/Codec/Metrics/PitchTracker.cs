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

    /// <summary>F0 per 10 ms frame in Hz, 0 for unvoiced or silent frames.</summary>
    public static double[] Track(ReadOnlySpan<float> signal, int sampleRate) => TrackFrames(signal, sampleRate).F0;

    /// <summary>F0 per frame (0 = unvoiced or silent) and whether each frame is active (within 40 dB of the loudest).</summary>
    internal static (double[] F0, bool[] Active) TrackFrames(ReadOnlySpan<float> signal, int sampleRate)
    {
        if (sampleRate < 4000)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "sample rate must be at least 4000 Hz");
        }

        int window = (int)Math.Round(0.025 * sampleRate);
        int hop = (int)Math.Round(HopSeconds * sampleRate);
        int minLag = (int)Math.Floor(sampleRate / MaxF0), maxLag = (int)Math.Ceiling(sampleRate / MinF0);
        int frames = signal.Length < window + maxLag ? 0 : ((signal.Length - window - maxLag) / hop) + 1;
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

            ReadOnlySpan<float> x = signal.Slice(f * hop, window + maxLag + 1);
            d[0] = 1;
            double running = 0;
            for (int tau = 1; tau <= maxLag + 1; tau++)
            {
                double sum = 0;
                for (int j = 0; j < window; j++)
                {
                    double diff = x[j] - (double)x[j + tau];
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
                continue;
            }

            // Parabolic interpolation of the dip for sub-sample lag precision.
            double lag = best;
            double a = d[best - 1], b = d[best], c = d[best + 1];
            double denominator = a - (2 * b) + c;
            if (denominator > 0)
            {
                lag += Math.Clamp(0.5 * (a - c) / denominator, -0.5, 0.5);
            }

            f0[f] = sampleRate / lag;
        }

        return (f0, active);
    }
}
