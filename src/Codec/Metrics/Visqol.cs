using System.Numerics;

namespace VqCodec.Codec.Metrics;

/// <summary>
/// ViSQOL v3 in its speech mode (Hines et al. 2015, "ViSQOL: an objective speech quality model", EURASIP JASMP; Chinen et
/// al. 2020, "ViSQOL v3: an open source production ready objective speech and audio metric", QoMEX), written here from
/// those papers and the behaviour of the Apache-2.0 reference implementation (github.com/google/visqol, speech mode with
/// its default scaled MOS mapping and a search window of 60 patches); no code is taken from it.
/// <list type="number">
/// <item>The degraded signal is aligned to the reference (cross-correlation of their Hilbert envelopes) and scaled to the
/// reference's RMS level.</item>
/// <item>Both become gammatone spectrograms: 21 ERB-spaced bands from 50 Hz to 8 kHz (Slaney's fourth-order filters),
/// the RMS of each band over 80 ms Hann windows every 20 ms, in decibels (10·log10 of the RMS, as the reference does), with
/// an absolute floor at −45 dB and a per-frame floor 45 dB under the louder signal's peak, then shifted so the lowest value
/// is 0.</item>
/// <item>The reference is cut into patches of 20 frames (400 ms), kept where an RMS voice-activity detector finds speech;
/// each is matched to a degraded patch by dynamic programming over every offset (frame by frame, in order), then finely
/// realigned in the time domain and measured again, keeping the better of the two.</item>
/// <item>Patches are compared with the neurogram similarity index (NSIM, a 3×3 Gaussian-windowed SSIM with intensity range
/// 1), averaged per band over each patch and over the patches; the mean over bands is mapped to MOS-LQO by the speech mode's
/// exponential fit, scaled so that NSIM 1 gives 5, clamped to [1, 5].</item>
/// </list>
/// One deviation: the reference implementation's FFT lengths are kept (exact-length DFTs for the Hilbert envelopes, by
/// Bluestein's algorithm here), so lags agree, but results are not claimed bit-identical to it.
/// </summary>
public static class Visqol
{
    /// <summary>The sample rate speech mode works at.</summary>
    public const int SampleRate = 16000;

    /// <summary>Gammatone bands of speech mode.</summary>
    public const int Bands = 21;

    /// <summary>Lowest band centre (Hz).</summary>
    public const double MinimumFrequency = 50;

    /// <summary>Highest frequency of the filter bank in speech mode (Hz).</summary>
    public const double MaximumFrequency = 8000;

    /// <summary>Analysis window: 80 ms (1,280 samples at 16 kHz).</summary>
    public const int WindowSize = 1280;

    /// <summary>Hop: a quarter of the window (20 ms).</summary>
    public const int Hop = WindowSize / 4;

    /// <summary>Frames per patch in speech mode (400 ms).</summary>
    public const int PatchFrames = 20;

    /// <summary>How many patch lengths either side of a reference patch the matching searches.</summary>
    public const int SearchWindowPatches = 60;

    private const double FloorAbsoluteDb = -45;
    private const double FloorRelativeDb = 45;
    private const double VadRmsThreshold = 5000;
    private const double MachineEpsilon = 2.220446049250313e-16;
    private const double FrameDuration = Hop / (double)SampleRate;
    private const double EarQ = 9.26449;
    private const double MinBandwidth = 24.7;

    // Exponential fit of MOS on mean NSIM over the TCD-VOIP set, and the scale that maps NSIM 1 to MOS 5.
    private const double FitA = -262.847869;
    private const double FitB = 0.0154302525;
    private const double FitX0 = -361.063949;
    private static readonly double FitScale = (float)1.245063;

    /// <summary>The symmetric Hann window of the spectrogram (0.5 − 0.5·cos(2πi / (N − 1))).</summary>
    private static readonly double[] AnalysisWindow = Fft.Hann(WindowSize);

    /// <summary>The filter bank's coefficients, computed once (<see cref="FilterBank.Rms"/> keeps no state between calls).</summary>
    private static readonly FilterBank Bank = new();

    private static readonly double[] NsimWindow =
    [
        0.0113033910173052, 0.0838251475442633, 0.0113033910173052,
        0.0838251475442633, 0.619485845753726, 0.0838251475442633,
        0.0113033910173052, 0.0838251475442633, 0.0113033910173052,
    ];

    /// <summary>A ViSQOL speech-mode score.</summary>
    /// <param name="MosLqo">Predicted mean opinion score, listening quality objective, in [1, 5].</param>
    /// <param name="Nsim">Mean NSIM over bands and patches (vnsim), in [−1, 1]; 1 for identical signals.</param>
    /// <param name="BandNsim">Mean NSIM per band, lowest band first (fvnsim).</param>
    /// <param name="Patches">Reference patches compared.</param>
    public sealed record Score(double MosLqo, double Nsim, double[] BandNsim, int Patches);

    /// <summary>
    /// Scores <paramref name="degraded"/> against <paramref name="reference"/>, both mono at <see cref="SampleRate"/>
    /// (samples in [−1, 1]). Throws <see cref="ArgumentException"/> when the reference is too short to hold a patch or has
    /// no voice activity.
    /// </summary>
    public static Score Speech(ReadOnlySpan<float> reference, ReadOnlySpan<float> degraded)
    {
        double[] r = ToDouble(reference), d = ToDouble(degraded);
        d = GloballyAlign(r, d).Signal;
        d = ScaleToLevel(r, d);
        Spectrogram rs = Gammatone(r), ds = Gammatone(d);
        Prepare(rs, ds);
        List<int> patchStarts = ReferencePatches(r, rs.Frames);
        if (patchStarts.Count == 0)
        {
            throw new ArgumentException("ViSQOL: the reference has no patch with voice activity.");
        }

        List<PatchResult> matched = MatchPatches(rs, ds, patchStarts);
        var band = new double[Bands];
        for (int i = 0; i < matched.Count; i++)
        {
            PatchResult p = Realign(matched[i], r, d);
            for (int b = 0; b < Bands; b++)
            {
                band[b] += p.BandMeans[b] / matched.Count;
            }
        }

        double nsim = band.Average();
        double mos = nsim < 0.15 ? 1 : MosFromNsim(nsim);
        return new Score(mos, nsim, band, matched.Count);
    }

    /// <summary>The speech mode's mapping from mean NSIM to MOS-LQO (scaled, clamped to [1, 5]).</summary>
    public static double MosFromNsim(double nsim) => Math.Clamp((FitA + Math.Exp(FitB * (nsim - FitX0))) * FitScale, 1, 5);

    /// <summary>Centre frequencies of the filter bank's bands in Hz, lowest first (equally spaced on the ERB-rate scale, the lowest at <see cref="MinimumFrequency"/>).</summary>
    public static double[] CentreFrequencies()
    {
        // Slaney (1993), "An efficient implementation of the Patterson-Holdsworth auditory filter bank", Apple TR 35.
        double q = EarQ * MinBandwidth;
        double step = (Math.Log(MinimumFrequency + q) - Math.Log(MaximumFrequency + q)) / Bands;
        var cf = new double[Bands];
        for (int i = 0; i < Bands; i++)
        {
            // Slaney's order is highest first; band 0 here is his last.
            cf[Bands - 1 - i] = -q + (Math.Exp((i + 1) * step) * (MaximumFrequency + q));
        }

        return cf;
    }

    /// <summary>
    /// The RMS of each band's output (lowest first) for <paramref name="signal"/> passed through the filter bank from rest,
    /// over its whole length: one column of the gammatone spectrogram without the window.
    /// </summary>
    public static double[] BandRms(ReadOnlySpan<float> signal)
    {
        return Bank.Rms(ToDouble(signal));
    }

    /// <summary>NSIM of two equally sized patches [bands][frames]: the per-band means of the similarity map and their mean.</summary>
    public static (double Similarity, double[] BandMeans) Nsim(double[][] reference, double[][] degraded) =>
        Nsim(new Patch(reference), new Patch(degraded));

    /// <summary>A patch with its windowed mean and windowed mean square, computed once however often it is compared.</summary>
    private sealed class Patch
    {
        public Patch(double[][] data)
        {
            Data = data;
            Mean = Smooth(data);
            MeanSquare = Smooth(Product(data, data));
        }

        public double[][] Data { get; }

        public double[][] Mean { get; }

        public double[][] MeanSquare { get; }
    }

    private static (double Similarity, double[] BandMeans) Nsim(Patch reference, Patch degraded)
    {
        int rows = reference.Data.Length, cols = reference.Data[0].Length;
        const double c1 = 0.01 * 0.01, c3 = 0.03 * 0.03 / 2;
        double[][] rd = Smooth(Product(reference.Data, degraded.Data));
        var means = new double[rows];
        for (int b = 0; b < rows; b++)
        {
            double sum = 0;
            for (int t = 0; t < cols; t++)
            {
                double mr = reference.Mean[b][t], md = degraded.Mean[b][t];
                double varR = reference.MeanSquare[b][t] - (mr * mr), varD = degraded.MeanSquare[b][t] - (md * md), cov = rd[b][t] - (mr * md);
                double intensity = ((2 * mr * md) + c1) / ((mr * mr) + (md * md) + c1);
                double product = varR * varD;
                double structure = (cov + c3) / (product < 0 ? c3 : Math.Sqrt(product) + c3);
                sum += intensity * structure;
            }

            means[b] = sum / cols;
        }

        return (means.Average(), means);
    }

    private sealed record PatchResult(double Similarity, double[] BandMeans, int RefFrame, int DegFrame, bool Matched);

    private sealed class Spectrogram(double[][] bands, int frames)
    {
        /// <summary>[band][frame], lowest band first.</summary>
        public double[][] Data { get; } = bands;

        public int Frames { get; } = frames;
    }

    private static double[] ToDouble(ReadOnlySpan<float> x)
    {
        var r = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            r[i] = x[i];
        }

        return r;
    }

    private static double[] ScaleToLevel(double[] reference, double[] degraded)
    {
        double Rms(double[] s) => Math.Sqrt(s.Sum(v => v * v) / Math.Max(1, s.Length));
        double rr = Rms(reference), rd = Rms(degraded);
        if (rd == 0)
        {
            return degraded;
        }

        double scale = rr / rd;
        return degraded.Select(v => v * scale).ToArray();
    }

    /// <summary>
    /// The degraded signal shifted to the lag that maximises the cross-correlation of the two signals' upper (Hilbert)
    /// envelopes: zeros prepended for a positive lag, samples dropped for a negative one; unchanged when the lag is 0 or
    /// more than half the reference's length. The lag is returned in samples.
    /// </summary>
    private static (double[] Signal, int Lag) GloballyAlign(double[] reference, double[] degraded)
    {
        int lag = BestLag(UpperEnvelope(reference), UpperEnvelope(degraded));
        if (lag == 0 || Math.Abs(lag) > reference.Length / 2.0)
        {
            return (degraded, 0);
        }

        if (lag < 0)
        {
            return (degraded.AsSpan(Math.Min(-lag, degraded.Length)).ToArray(), lag);
        }

        var shifted = new double[lag + degraded.Length];
        degraded.CopyTo(shifted, lag);
        return (shifted, lag);
    }

    private static double[] UpperEnvelope(double[] x)
    {
        int n = x.Length;
        if (n == 0)
        {
            return [];
        }

        double mean = x.Average();
        var re = new double[n];
        var im = new double[n];
        for (int i = 0; i < n; i++)
        {
            re[i] = x[i] - mean;
        }

        // The analytic signal: the DFT's positive frequencies doubled, the negative ones removed.
        Dft(re, im, inverse: false);
        int half = n % 2 == 1 ? (n + 1) / 2 : n / 2;
        for (int k = 1; k < n; k++)
        {
            double h = k < half ? 2 : (k == n / 2 ? (n % 2 == 1 ? 2 : 1) : 0);
            re[k] *= h;
            im[k] *= h;
        }

        Dft(re, im, inverse: true);
        var env = new double[n];
        for (int i = 0; i < n; i++)
        {
            env[i] = Math.Sqrt((re[i] * re[i]) + (im[i] * im[i])) + mean;
        }

        return env;
    }

    /// <summary>The lag in [−(L − 1), L − 1] (L the longer length) at which Σ a[n + lag]·b[n] is largest (the first such).</summary>
    private static int BestLag(double[] a, double[] b)
    {
        int len = Math.Max(a.Length, b.Length);
        if (len == 0)
        {
            return 0;
        }

        int points = (int)BitOperations.RoundUpToPowerOf2((uint)((2 * len) - 1) + 1);
        var ar = new double[points];
        var ai = new double[points];
        var br = new double[points];
        var bi = new double[points];
        a.CopyTo(ar, 0);
        b.CopyTo(br, 0);
        Fft.Transform(ar, ai);
        Fft.Transform(br, bi);
        for (int k = 0; k < points; k++)
        {
            // A · conj(B), then the inverse transform by conjugating around a forward one.
            double re = (ar[k] * br[k]) + (ai[k] * bi[k]);
            double im = (ai[k] * br[k]) - (ar[k] * bi[k]);
            ar[k] = re;
            ai[k] = -im;
        }

        Fft.Transform(ar, ai);
        int maxLag = len - 1;
        double best = double.NegativeInfinity;
        int bestLag = 0;
        for (int lag = -maxLag; lag <= maxLag; lag++)
        {
            double c = ar[lag < 0 ? points + lag : lag] / points;
            if (c > best)
            {
                best = c;
                bestLag = lag;
            }
        }

        return bestLag;
    }

    /// <summary>An exact-length DFT (or its inverse, scaled by 1/n) in place: radix 2 where n is a power of two, else Bluestein's chirp-z transform.</summary>
    private static void Dft(double[] re, double[] im, bool inverse)
    {
        int n = re.Length;
        if (inverse)
        {
            for (int i = 0; i < n; i++)
            {
                im[i] = -im[i];
            }
        }

        if (BitOperations.IsPow2(n))
        {
            Fft.Transform(re, im);
        }
        else
        {
            Bluestein(re, im);
        }

        if (inverse)
        {
            for (int i = 0; i < n; i++)
            {
                re[i] /= n;
                im[i] = -im[i] / n;
            }
        }
    }

    private static void Bluestein(double[] re, double[] im)
    {
        int n = re.Length;
        int m = (int)BitOperations.RoundUpToPowerOf2((uint)((2 * n) - 1));
        var cr = new double[n];
        var ci = new double[n];
        for (int k = 0; k < n; k++)
        {
            // exp(−iπk²/n), with k² reduced modulo 2n to keep the angle exact.
            long k2 = ((long)k * k) % (2L * n);
            double angle = Math.PI * k2 / n;
            cr[k] = Math.Cos(angle);
            ci[k] = -Math.Sin(angle);
        }

        var ar = new double[m];
        var ai = new double[m];
        var br = new double[m];
        var bi = new double[m];
        for (int k = 0; k < n; k++)
        {
            ar[k] = (re[k] * cr[k]) - (im[k] * ci[k]);
            ai[k] = (re[k] * ci[k]) + (im[k] * cr[k]);
        }

        br[0] = cr[0];
        bi[0] = -ci[0];
        for (int k = 1; k < n; k++)
        {
            br[k] = br[m - k] = cr[k];
            bi[k] = bi[m - k] = -ci[k];
        }

        Fft.Transform(ar, ai);
        Fft.Transform(br, bi);
        for (int k = 0; k < m; k++)
        {
            double r = (ar[k] * br[k]) - (ai[k] * bi[k]);
            double i = (ar[k] * bi[k]) + (ai[k] * br[k]);
            ar[k] = r;
            ai[k] = -i;
        }

        Fft.Transform(ar, ai);
        for (int k = 0; k < n; k++)
        {
            double r = ar[k] / m, i = -ai[k] / m;
            re[k] = (r * cr[k]) - (i * ci[k]);
            im[k] = (r * ci[k]) + (i * cr[k]);
        }
    }

    private static Spectrogram Gammatone(double[] x)
    {
        if (x.Length <= WindowSize)
        {
            throw new ArgumentException($"ViSQOL: {x.Length} samples are too few for a spectrogram ({WindowSize + 1} needed).");
        }

        int frames = 1 + ((x.Length - WindowSize) / Hop);
        double[] window = AnalysisWindow;

        var data = new double[Bands][];
        for (int b = 0; b < Bands; b++)
        {
            data[b] = new double[frames];
        }

        // Every frame is filtered from rest, so frames are independent.
        FilterBank bank = Bank;
        Parallel.For(0, frames, t =>
        {
            var frame = new double[WindowSize];
            for (int i = 0; i < WindowSize; i++)
            {
                frame[i] = x[(t * Hop) + i] * window[i];
            }

            double[] rms = bank.Rms(frame);
            for (int b = 0; b < Bands; b++)
            {
                data[b][t] = rms[b];
            }
        });

        return new Spectrogram(data, frames);
    }

    /// <summary>Decibels, the absolute and per-frame floors, then both shifted so the lower minimum is 0.</summary>
    private static void Prepare(Spectrogram reference, Spectrogram degraded)
    {
        foreach (Spectrogram s in (Spectrogram[])[reference, degraded])
        {
            foreach (double[] row in s.Data)
            {
                for (int t = 0; t < row.Length; t++)
                {
                    double v = Math.Abs(row[t]);
                    row[t] = Math.Max(FloorAbsoluteDb, 10 * Math.Log10(v == 0 ? MachineEpsilon : v));
                }
            }
        }

        int common = Math.Min(reference.Frames, degraded.Frames);
        for (int t = 0; t < common; t++)
        {
            double peak = double.NegativeInfinity;
            for (int b = 0; b < Bands; b++)
            {
                peak = Math.Max(peak, Math.Max(reference.Data[b][t], degraded.Data[b][t]));
            }

            double floor = peak - FloorRelativeDb;
            for (int b = 0; b < Bands; b++)
            {
                reference.Data[b][t] = Math.Max(floor, reference.Data[b][t]);
                degraded.Data[b][t] = Math.Max(floor, degraded.Data[b][t]);
            }
        }

        double lowest = Math.Min(reference.Data.Min(r => r.Min()), degraded.Data.Min(r => r.Min()));
        foreach (Spectrogram s in (Spectrogram[])[reference, degraded])
        {
            foreach (double[] row in s.Data)
            {
                for (int t = 0; t < row.Length; t++)
                {
                    row[t] -= lowest;
                }
            }
        }
    }

    /// <summary>
    /// First frames of the reference patches with voice activity: patches every 20 frames from frame 9; the detector runs on
    /// the reference scaled by its largest sample, in 320-sample chunks as 16-bit values (a chunk is silent when its RMS is
    /// under 5,000 and so were the two before it; the first two count as active), from sample 9 on as the reference does.
    /// </summary>
    private static List<int> ReferencePatches(double[] reference, int frames)
    {
        const int first = (PatchFrames / 2) - 1;
        int patchCount = Math.Max(0, (frames - first) / PatchFrames);
        int total = patchCount * PatchFrames * Hop;
        double max = reference.Length == 0 ? 0 : reference.Max();
        var loud = new List<bool>();
        for (int c = 0; c + Hop <= total; c += Hop)
        {
            double sum = 0;
            for (int i = 0; i < Hop; i++)
            {
                int s = first + c + i;
                double v = s < reference.Length && max != 0 ? reference[s] / max * 32768 : 0;
                v = Math.Clamp(v, -32768, 32767);
                double q = Math.Truncate(v);
                sum += q * q;
            }

            loud.Add(Math.Sqrt(sum / Hop) >= VadRmsThreshold);
        }

        var active = new List<bool> { true, true };
        for (int i = 2; i < loud.Count; i++)
        {
            active.Add(loud[i] || loud[i - 1] || loud[i - 2]);
        }

        var starts = new List<int>();
        for (int p = 0; p < patchCount; p++)
        {
            int from = p * PatchFrames;
            if (Enumerable.Range(from, PatchFrames).Any(i => i < active.Count && active[i]))
            {
                starts.Add(first + (p * PatchFrames));
            }
        }

        return starts;
    }

    private static double[][] Columns(double[][] data, int start, int count)
    {
        var patch = new double[data.Length][];
        for (int b = 0; b < data.Length; b++)
        {
            patch[b] = new double[count];
            for (int t = 0; t < count; t++)
            {
                int s = start + t;
                patch[b][t] = s >= 0 && s < data[b].Length ? data[b][s] : 0;
            }
        }

        return patch;
    }

    /// <summary>
    /// The degraded patch for each reference patch: dynamic programming over degraded start frames within the search window,
    /// the cumulative similarity of the patches so far maximised with each patch starting after the previous one's start (or
    /// a patch left unmatched when the best path skips it).
    /// </summary>
    private static List<PatchResult> MatchPatches(Spectrogram reference, Spectrogram degraded, List<int> starts)
    {
        int degFrames = degraded.Frames, window = SearchWindowPatches * PatchFrames;
        int count = starts.Count;
        while (count > 0 && starts[count - 1] - (PatchFrames / 2) > degFrames)
        {
            count--;
        }

        if (count == 0)
        {
            throw new ArgumentException("ViSQOL: the degraded signal is too short or misaligned to score any reference patch.");
        }

        var refPatches = starts.Take(count).Select(s => new Patch(Columns(reference.Data, s, PatchFrames))).ToArray();
        var degPatches = new Patch?[degFrames];
        Patch DegPatch(int offset) => degPatches[offset] ??= new Patch(Columns(degraded.Data, offset, PatchFrames));
        var dp = new double[count][];
        var back = new int[count][];
        for (int p = 0; p < count; p++)
        {
            dp[p] = new double[degFrames];
            back[p] = new int[degFrames];
            for (int o = Math.Max(0, starts[p] - window); o <= starts[p] + window && o < degFrames; o++)
            {
                double sim = Nsim(refPatches[p], DegPatch(o)).Similarity;
                int past = -1;
                if (p > 0)
                {
                    double highest = double.MinValue;
                    for (int b = o - 1; b >= Math.Max(0, starts[p - 1] - window); b--)
                    {
                        if (dp[p - 1][b] > highest)
                        {
                            highest = dp[p - 1][b];
                            past = b;
                        }
                    }

                    sim += highest;
                    if (dp[p - 1][o] > sim)
                    {
                        sim = dp[p - 1][o];
                        past = o;
                    }
                }

                dp[p][o] = sim;
                back[p][o] = past;
            }
        }

        int last = count - 1, lastOffset = -1;
        double bestScore = double.MinValue;
        for (int o = Math.Max(0, starts[last] - window); o <= starts[last] + window; o++)
        {
            if (o >= degFrames - PatchFrames)
            {
                break;
            }

            if (dp[last][o] > bestScore)
            {
                bestScore = dp[last][o];
                lastOffset = o;
            }
        }

        if (lastOffset < 0)
        {
            throw new ArgumentException("ViSQOL: the degraded signal is too short to hold a patch.");
        }

        var result = new PatchResult[count];
        for (int p = last; p >= 0; p--)
        {
            var (similarity, bandMeans) = Nsim(refPatches[p], DegPatch(lastOffset));
            bool matched = lastOffset != back[p][lastOffset];
            result[p] = matched
                ? new PatchResult(similarity, bandMeans, starts[p], lastOffset, true)
                : new PatchResult(0, new double[Bands], starts[p], 0, false);
            lastOffset = back[p][lastOffset];
            if (lastOffset < 0 && p > 0)
            {
                // The path began at this patch: the earlier ones have no match.
                for (int q = p - 1; q >= 0; q--)
                {
                    result[q] = new PatchResult(0, new double[Bands], starts[q], 0, false);
                }

                break;
            }
        }

        return [.. result];
    }

    /// <summary>
    /// A matched patch measured again after aligning its audio: the two 400 ms stretches are cut out, aligned by their
    /// envelopes and truncated to a common length, given fresh spectrograms, and the NSIM of those replaces the patch's when
    /// it is not lower.
    /// </summary>
    private static PatchResult Realign(PatchResult patch, double[] reference, double[] degraded)
    {
        if (!patch.Matched)
        {
            return patch;
        }

        double[] r = Slice(reference, patch.RefFrame), d = Slice(degraded, patch.DegFrame);
        (double[] aligned, int lagSamples) = GloballyAlign(r, d);
        int lag = (int)(lagSamples / (double)SampleRate * SampleRate);
        double[] rr = r, dd = aligned;
        if (r.Length > aligned.Length)
        {
            rr = r.AsSpan(0, aligned.Length).ToArray();
        }
        else if (r.Length < aligned.Length && lag >= 0)
        {
            rr = r.AsSpan(lag).ToArray();
            dd = aligned.AsSpan(lag, r.Length - lag).ToArray();
        }

        if (rr.Length <= WindowSize || dd.Length <= WindowSize)
        {
            return patch;
        }

        Spectrogram rs = Gammatone(rr), ds = Gammatone(dd);
        Prepare(rs, ds);
        int frames = Math.Min(rs.Frames, ds.Frames);
        var (similarity, bandMeans) = Nsim(Columns(rs.Data, 0, frames), Columns(ds.Data, 0, frames));
        return similarity < patch.Similarity ? patch : patch with { Similarity = similarity, BandMeans = bandMeans };
    }

    /// <summary>The samples of a patch starting at <paramref name="frame"/>: [frame·hop, (frame + 20)·hop) within the signal, its last sample excluded as the reference implementation does.</summary>
    private static double[] Slice(double[] x, int frame)
    {
        double start = frame * FrameDuration, end = start + (FrameDuration * PatchFrames);
        int from = Math.Max(0, (int)(start * SampleRate));
        int to = Math.Min(x.Length - 1, (int)(end * SampleRate));
        return to > from ? x.AsSpan(from, to - from).ToArray() : [];
    }

    private static double[][] Product(double[][] a, double[][] b)
    {
        var r = new double[a.Length][];
        for (int i = 0; i < a.Length; i++)
        {
            r[i] = new double[a[i].Length];
            for (int j = 0; j < a[i].Length; j++)
            {
                r[i][j] = a[i][j] * b[i][j];
            }
        }

        return r;
    }

    /// <summary>The 3×3 Gaussian window over a matrix whose edges are replicated by one row and column (same size out).</summary>
    private static double[][] Smooth(double[][] x)
    {
        int rows = x.Length, cols = x[0].Length;
        var r = new double[rows][];
        for (int i = 0; i < rows; i++)
        {
            r[i] = new double[cols];
            for (int j = 0; j < cols; j++)
            {
                double sum = 0;
                for (int di = -1; di <= 1; di++)
                {
                    int ii = Math.Clamp(i + di, 0, rows - 1);
                    for (int dj = -1; dj <= 1; dj++)
                    {
                        int jj = Math.Clamp(j + dj, 0, cols - 1);
                        sum += x[ii][jj] * NsimWindow[((di + 1) * 3) + dj + 1];
                    }
                }

                r[i][j] = sum;
            }
        }

        return r;
    }

    /// <summary>
    /// Slaney's gammatone filter bank: per band, four cascaded second-order sections sharing one denominator, the first
    /// scaled by the band's gain so the response at the centre frequency is 1.
    /// </summary>
    private sealed class FilterBank
    {
        private readonly double[][] _numerators; // [band][stage] → b1 of the section (b0 = T, b2 = 0), the first divided by the gain
        private readonly double[] _a1;
        private readonly double[] _a2;
        private readonly double[] _gain;

        public FilterBank()
        {
            double t = 1.0 / SampleRate;
            double[] cf = CentreFrequencies();
            _numerators = new double[Bands][];
            _a1 = new double[Bands];
            _a2 = new double[Bands];
            _gain = new double[Bands];
            for (int band = 0; band < Bands; band++)
            {
                double f = cf[band];
                double erb = (f / EarQ) + MinBandwidth;
                double b = 1.019 * 2 * Math.PI * erb;
                double expBt = Math.Exp(b * t);
                double cos = Math.Cos(2 * f * Math.PI * t), sin = Math.Sin(2 * f * Math.PI * t);
                _a1[band] = -2 * cos / expBt;
                _a2[band] = Math.Exp(-2 * b * t);
                double sPlus = Math.Sqrt(3 + Math.Pow(2, 1.5)), sMinus = Math.Sqrt(3 - Math.Pow(2, 1.5));
                double a = 2 * t * cos;
                double bPos = 2 * t * sin * sPlus, bNeg = 2 * t * sin * sMinus;
                _numerators[band] =
                [
                    -((a / expBt) + (bPos / expBt)) / 2,
                    -((a / expBt) - (bPos / expBt)) / 2,
                    -((a / expBt) + (bNeg / expBt)) / 2,
                    -((a / expBt) - (bNeg / expBt)) / 2,
                ];

                Complex i = Complex.ImaginaryOne;
                Complex xExp = Complex.Exp(4 * i * f * Math.PI * t);
                Complex x01 = -2 * xExp * t;
                Complex x02 = 2 * Complex.Exp((-b * t) + (2 * i * f * Math.PI * t)) * t;
                Complex x1 = x01 + (x02 * (cos - (sMinus * sin)));
                Complex x2 = x01 + (x02 * (cos + (sMinus * sin)));
                Complex x3 = x01 + (x02 * (cos - (sPlus * sin)));
                Complex x4 = x01 + (x02 * (cos + (sPlus * sin)));
                Complex x5 = (-2 / Complex.Exp(2 * b * t)) - (2 * xExp) + (2 * (1 + xExp) / Complex.Exp(b * t));
                _gain[band] = Complex.Abs(x1 * x2 * x3 * x4 / Complex.Pow(x5, 4));
            }
        }

        /// <summary>The RMS over <paramref name="x"/> of each band's output, the filters starting from rest.</summary>
        public double[] Rms(double[] x)
        {
            double t = 1.0 / SampleRate;
            var result = new double[Bands];
            var stage = new double[x.Length];
            for (int band = 0; band < Bands; band++)
            {
                x.CopyTo(stage, 0);
                double a1 = _a1[band], a2 = _a2[band];
                for (int s = 0; s < 4; s++)
                {
                    double scale = s == 0 ? _gain[band] : 1;
                    double b0 = t / scale, b1 = _numerators[band][s] / scale;
                    double z0 = 0, z1 = 0;
                    for (int n = 0; n < stage.Length; n++)
                    {
                        double input = stage[n];
                        double y = (b0 * input) + z0;
                        z0 = (b1 * input) + z1 - (a1 * y);
                        z1 = -(a2 * y);
                        stage[n] = y;
                    }
                }

                double sum = 0;
                for (int n = 0; n < stage.Length; n++)
                {
                    sum += stage[n] * stage[n];
                }

                result[band] = Math.Sqrt(sum / Math.Max(1, stage.Length));
            }

            return result;
        }
    }
}
