using VqCodec.Codec.Audio;

namespace VqCodec.Codec.Metrics;

/// <summary>Speech quality metrics computed by the project (reference first, then the decoded signal).</summary>
public static class SpeechMetrics
{
    /// <summary>SNR in dB: 10 log10(Σ ref² / Σ (ref − test)²), over the common length.</summary>
    public static double Snr(ReadOnlySpan<float> reference, ReadOnlySpan<float> test)
    {
        int n = Math.Min(reference.Length, test.Length);
        double s = 0, e = 0;
        for (int i = 0; i < n; i++)
        {
            s += reference[i] * (double)reference[i];
            double d = reference[i] - (double)test[i];
            e += d * d;
        }

        return e == 0 ? double.PositiveInfinity : 10 * Math.Log10(s / e);
    }

    /// <summary>Scale-invariant SNR in dB (zero-mean signals; target = projection of test onto reference).</summary>
    public static double SiSnr(ReadOnlySpan<float> reference, ReadOnlySpan<float> test)
    {
        int n = Math.Min(reference.Length, test.Length);
        double mr = 0, mt = 0;
        for (int i = 0; i < n; i++)
        {
            mr += reference[i];
            mt += test[i];
        }

        mr /= n;
        mt /= n;
        double dot = 0, rr = 0;
        for (int i = 0; i < n; i++)
        {
            dot += (reference[i] - mr) * (test[i] - mt);
            rr += (reference[i] - mr) * (reference[i] - mr);
        }

        double alpha = rr == 0 ? 0 : dot / rr, target = 0, noise = 0;
        for (int i = 0; i < n; i++)
        {
            double t = alpha * (reference[i] - mr);
            double e = (test[i] - mt) - t;
            target += t * t;
            noise += e * e;
        }

        return noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(target / noise);
    }

    /// <summary>
    /// Log-spectral distance in dB at full STFT resolution (1024-point Hann window, hop 256, all bins up to
    /// Nyquist, so harmonics 16 Hz apart are resolved): per frame the RMS over bins of
    /// 10·log10(P_ref / P_test), averaged over the frames no more than 50 dB below the loudest reference frame.
    /// Powers are floored 80 dB below the loudest reference bin. Scaling a signal by 2 gives 6.02 dB.
    /// </summary>
    public static double LogSpectralDistance(ReadOnlySpan<float> reference, ReadOnlySpan<float> test)
    {
        const int nfft = 1024, hop = 256;
        int n = Math.Min(reference.Length, test.Length);
        if (n < nfft)
        {
            return double.NaN;
        }

        double[] window = Fft.Hann(nfft, periodic: true);
        int frames = ((n - nfft) / hop) + 1;
        var refPower = new double[frames][];
        var testPower = new double[frames][];
        var frameEnergy = new double[frames];
        double loudestBin = 0, loudestFrame = 0;
        for (int f = 0; f < frames; f++)
        {
            refPower[f] = Fft.Magnitudes(reference[..n], f * hop, nfft, window, nfft).Select(m => m * m).ToArray();
            testPower[f] = Fft.Magnitudes(test[..n], f * hop, nfft, window, nfft).Select(m => m * m).ToArray();
            frameEnergy[f] = refPower[f].Sum();
            loudestBin = Math.Max(loudestBin, refPower[f].Max());
            loudestFrame = Math.Max(loudestFrame, frameEnergy[f]);
        }

        double floor = Math.Max(loudestBin * 1e-8, 1e-20), total = 0;
        int counted = 0;
        for (int f = 0; f < frames; f++)
        {
            if (frameEnergy[f] < loudestFrame * 1e-5)
            {
                continue;
            }

            double sum = 0;
            for (int k = 0; k < refPower[f].Length; k++)
            {
                double d = 10 * Math.Log10((refPower[f][k] + floor) / (testPower[f][k] + floor));
                sum += d * d;
            }

            total += Math.Sqrt(sum / refPower[f].Length);
            counted++;
        }

        return counted == 0 ? double.NaN : total / counted;
    }

    /// <summary>
    /// Mel distance: mean absolute difference of natural-log mel spectrograms (1024-point FFT, Hann window,
    /// hop 256, 80 HTK mel bands 0–8 kHz at 16 kHz, log(mel + 1e-5)). 0 for identical signals.
    /// </summary>
    public static double MelDistance(ReadOnlySpan<float> reference, ReadOnlySpan<float> test, int sampleRate = 16000)
    {
        int n = Math.Min(reference.Length, test.Length);
        double[][] a = LogMel(reference[..n], sampleRate), b = LogMel(test[..n], sampleRate);
        double sum = 0;
        long count = 0;
        for (int f = 0; f < a.Length; f++)
        {
            for (int m = 0; m < a[f].Length; m++)
            {
                sum += Math.Abs(a[f][m] - b[f][m]);
                count++;
            }
        }

        return count == 0 ? 0 : sum / count;
    }

    private static double[][] LogMel(ReadOnlySpan<float> x, int sampleRate)
    {
        const int nfft = 1024, hop = 256, mels = 80;
        double[] window = Fft.Hann(nfft, periodic: true);
        double[,] bank = MelBank(mels, nfft, sampleRate);
        int frames = Math.Max(1, 1 + ((x.Length - nfft) / hop));
        var result = new double[frames][];
        for (int f = 0; f < frames; f++)
        {
            double[] mag = Fft.Magnitudes(x, f * hop, nfft, window, nfft);
            result[f] = new double[mels];
            for (int m = 0; m < mels; m++)
            {
                double s = 0;
                for (int k = 0; k < mag.Length; k++)
                {
                    s += bank[m, k] * mag[k];
                }

                result[f][m] = Math.Log(s + 1e-5);
            }
        }

        return result;
    }

    /// <summary>HTK-style triangular mel filterbank, [mels, nfft/2 + 1], 0 Hz to Nyquist.</summary>
    internal static double[,] MelBank(int mels, int nfft, int sampleRate)
    {
        static double ToMel(double f) => 2595 * Math.Log10(1 + (f / 700));
        static double ToHz(double m) => 700 * (Math.Pow(10, m / 2595) - 1);
        int bins = (nfft / 2) + 1;
        var bank = new double[mels, bins];
        double top = ToMel(sampleRate / 2.0);
        var edges = Enumerable.Range(0, mels + 2).Select(i => ToHz(top * i / (mels + 1))).ToArray();
        for (int m = 0; m < mels; m++)
        {
            for (int k = 0; k < bins; k++)
            {
                double f = (double)k * sampleRate / nfft;
                double up = (f - edges[m]) / (edges[m + 1] - edges[m]);
                double down = (edges[m + 2] - f) / (edges[m + 2] - edges[m + 1]);
                bank[m, k] = Math.Max(0, Math.Min(up, down));
            }
        }

        return bank;
    }

    /// <summary>
    /// STOI (Taal, Hendriks, Heusdens and Jensen 2011): both signals resampled to 10 kHz; silent frames
    /// (more than 40 dB below the loudest 256-sample frame) removed; 512-point STFT with a 256-sample Hann
    /// window and 50 % overlap; 15 one-third-octave bands from 150 Hz; 30-frame (384 ms) segments; the
    /// degraded envelope normalised to the clean one and clipped at −15 dB SDR; the mean correlation.
    /// </summary>
    public static double Stoi(ReadOnlySpan<float> reference, ReadOnlySpan<float> test, int sampleRate)
    {
        const int fs = 10000, frame = 256, nfft = 512, bands = 15, segment = 30;
        const double beta = -15;
        int n0 = Math.Min(reference.Length, test.Length);
        float[] x = Resampler.Resample(reference[..n0], sampleRate, fs);
        float[] y = Resampler.Resample(test[..n0], sampleRate, fs);
        (x, y) = RemoveSilentFrames(x, y, 40, frame, frame / 2);
        double[] window = Fft.Hann(frame + 2)[1..^1];
        int frames = Math.Max(0, 1 + ((x.Length - frame) / (frame / 2)));
        if (frames < segment)
        {
            throw new ArgumentException("STOI needs at least 30 non-silent frames (about 0.4 s of speech)");
        }

        (int Lo, int Hi)[] third = ThirdOctaveBands(fs, nfft, bands, 150);
        var xb = new double[bands, frames];
        var yb = new double[bands, frames];
        for (int f = 0; f < frames; f++)
        {
            double[] mx = Fft.Magnitudes(x, f * (frame / 2), frame, window, nfft);
            double[] my = Fft.Magnitudes(y, f * (frame / 2), frame, window, nfft);
            for (int b = 0; b < bands; b++)
            {
                double sx = 0, sy = 0;
                for (int k = third[b].Lo; k < third[b].Hi; k++)
                {
                    sx += mx[k] * mx[k];
                    sy += my[k] * my[k];
                }

                xb[b, f] = Math.Sqrt(sx);
                yb[b, f] = Math.Sqrt(sy);
            }
        }

        double clip = Math.Pow(10, -beta / 20);
        double total = 0;
        int count = 0;
        for (int m = segment; m <= frames; m++)
        {
            for (int b = 0; b < bands; b++)
            {
                double nx = 0, ny = 0;
                for (int t = m - segment; t < m; t++)
                {
                    nx += xb[b, t] * xb[b, t];
                    ny += yb[b, t] * yb[b, t];
                }

                double scale = ny == 0 ? 0 : Math.Sqrt(nx / ny);
                var xs = new double[segment];
                var ys = new double[segment];
                for (int t = 0; t < segment; t++)
                {
                    xs[t] = xb[b, m - segment + t];
                    ys[t] = Math.Min(yb[b, m - segment + t] * scale, xs[t] * (1 + clip));
                }

                total += Correlation(xs, ys);
                count++;
            }
        }

        return total / count;
    }

    private static double Correlation(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), num = 0, da = 0, db = 0;
        for (int i = 0; i < a.Length; i++)
        {
            num += (a[i] - ma) * (b[i] - mb);
            da += (a[i] - ma) * (a[i] - ma);
            db += (b[i] - mb) * (b[i] - mb);
        }

        double den = Math.Sqrt(da * db);
        return den < 1e-12 ? 0 : num / den;
    }

    private static (int, int)[] ThirdOctaveBands(int fs, int nfft, int bands, double minFreq)
    {
        var result = new (int, int)[bands];
        for (int b = 0; b < bands; b++)
        {
            double centre = minFreq * Math.Pow(2, b / 3.0);
            double lo = centre * Math.Pow(2, -1 / 6.0), hi = centre * Math.Pow(2, 1 / 6.0);
            int klo = (int)Math.Round(lo * nfft / fs), khi = (int)Math.Round(hi * nfft / fs);
            result[b] = (klo, Math.Max(klo + 1, khi));
        }

        return result;
    }

    private static (float[], float[]) RemoveSilentFrames(float[] x, float[] y, double range, int frame, int hop)
    {
        double[] w = Fft.Hann(frame + 2)[1..^1];
        int frames = Math.Max(0, 1 + ((x.Length - frame) / hop));
        var energy = new double[frames];
        for (int f = 0; f < frames; f++)
        {
            double s = 0;
            for (int i = 0; i < frame; i++)
            {
                double v = x[(f * hop) + i] * w[i];
                s += v * v;
            }

            energy[f] = 20 * Math.Log10(Math.Sqrt(s) + 1e-20);
        }

        double max = frames == 0 ? 0 : energy.Max();
        var keep = Enumerable.Range(0, frames).Where(f => energy[f] > max - range).ToList();
        int outLength = keep.Count == 0 ? 0 : ((keep.Count - 1) * hop) + frame;
        var xo = new float[outLength];
        var yo = new float[outLength];
        for (int j = 0; j < keep.Count; j++)
        {
            for (int i = 0; i < frame; i++)
            {
                xo[(j * hop) + i] += (float)(x[(keep[j] * hop) + i] * w[i]);
                yo[(j * hop) + i] += (float)(y[(keep[j] * hop) + i] * w[i]);
            }
        }

        return (xo, yo);
    }
}
