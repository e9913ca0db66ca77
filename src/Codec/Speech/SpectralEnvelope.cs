using TorchSharp;
using VqCodec.Codec.Models;
using VqCodec.Container;
using static TorchSharp.torch;

namespace VqCodec.Codec.Speech;

/// <summary>
/// The spectral envelope corrections of formats 1.5 and 1.6 (<c>spec/container.md</c> §4d, <c>design.md</c>): band
/// energies of a signal per token frame, the per-bin gains that apply a frame-by-band correction in decibels to a
/// spectrum, interpolated linearly between band centres and between token-frame centres, and the format-1.6 stage that
/// applies them to the synthesised output through a short STFT.
/// </summary>
internal static class SpectralEnvelope
{
    /// <summary>Band edges in Hz (<see cref="SegmentEnvelope.Bands"/> bands; spec §4d).</summary>
    public static readonly double[] EdgesHz = [0, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480, 1720, 2000, 2320, 2700, 3150, 3700, 4400, 5300, 6400, 8000];

    /// <summary>The magnitude [bins, frames] (bin-major) of the model's STFT of <paramref name="samples"/> (periodic Hann, centred, zero-padded ends).</summary>
    public static (float[] Magnitude, int Bins, int Frames) Magnitude(SpeechModelConfig config, float[] samples) =>
        Magnitude(samples, config.StftSize, config.StftHop);

    /// <summary>The model's complex STFT [1, bins, frames] of <paramref name="waveform"/> [1, samples] (periodic Hann, centred, zero-padded ends).</summary>
    public static Tensor Stft(SpeechModelConfig config, Tensor waveform) => Stft(waveform, config.StftSize, config.StftHop);

    /// <summary>A complex STFT [1, bins, frames] of <paramref name="waveform"/> [1, samples] (periodic Hann, centred, zero-padded ends).</summary>
    public static Tensor Stft(Tensor waveform, int size, int hop) =>
        torch.stft(waveform, size, hop, window: torch.hann_window(size, periodic: true), center: true, pad_mode: PaddingModes.Constant, return_complex: true);

    /// <summary>Window of the STFT through which format-1.6 corrections apply after the synthesis (20 ms at 16 kHz).</summary>
    public const int AfterSynthesisSize = 320;

    /// <summary>Hop of that STFT (5 ms: four per 20 ms token frame).</summary>
    public const int AfterSynthesisHop = 80;

    /// <summary>The magnitude [bins, frames] (bin-major) of the STFT of <paramref name="samples"/> with a <paramref name="size"/>-point window and hop <paramref name="hop"/>.</summary>
    public static (float[] Magnitude, int Bins, int Frames) Magnitude(float[] samples, int size, int hop)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor spectrum = Stft(torch.tensor(samples, [1, samples.Length]), size, hop);
        return (spectrum.abs()[0].contiguous().data<float>().ToArray(), (int)spectrum.shape[1], (int)spectrum.shape[2]);
    }

    /// <summary>
    /// Format 1.6: applies corrections to the synthesised output of a decode window's core frames
    /// [<paramref name="skip"/>, skip + core.Length / tokenHop) through the short STFT (<see cref="AfterSynthesisSize"/>,
    /// <see cref="AfterSynthesisHop"/>). <paramref name="left"/> and <paramref name="right"/> are the
    /// <see cref="AfterSynthesisSize"/> output samples before and after the core (zeros where the signal has none), so
    /// that every STFT frame that touches the core sees the signal a decode of the whole file would. <paramref name="decibels"/>
    /// holds the window's frames (index 0 = the window's first frame).
    /// </summary>
    public static float[] ApplyAfterSynthesis(float[] left, float[] core, float[] right, IReadOnlyList<double[]?> decibels, int skip, int tokenHop, int sampleRate)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        int context = AfterSynthesisSize;
        var signal = new float[context + core.Length + context];
        left.AsSpan(0, context).CopyTo(signal);
        core.CopyTo(signal, context);
        right.AsSpan(0, context).CopyTo(signal.AsSpan(context + core.Length));
        Tensor spectrum = Stft(torch.tensor(signal, [1, signal.Length]), AfterSynthesisSize, AfterSynthesisHop);
        int bins = (int)spectrum.shape[1], frames = (int)spectrum.shape[2];
        long firstCentre = ((long)skip * tokenHop) - context;
        if (BinGains(decibels, bins, frames, (double)sampleRate / AfterSynthesisSize, firstCentre, AfterSynthesisHop, tokenHop) is not { } gains)
        {
            return core;
        }

        Tensor y = torch.istft(spectrum * torch.tensor(gains, [1, bins, frames]), AfterSynthesisSize, AfterSynthesisHop, window: torch.hann_window(AfterSynthesisSize, periodic: true), center: true, length: signal.Length);
        return y[0, context..(context + core.Length)].data<float>().ToArray();
    }

    /// <summary>
    /// Energy per band of each of <paramref name="tokenFrames"/> token frames ([frame][band]) from an STFT with
    /// <paramref name="perFrame"/> hops per token frame: token frame j is centred on STFT frame per·j + per/2 and takes the
    /// frames from per·j to per·(j + 1) with weight 1/per, halved at both ends (those that exist).
    /// With 2 hops per frame that is the centre frame with weight 1/2 and its two neighbours with 1/4 each.
    /// </summary>
    public static double[][] FrameEnergies(float[] magnitude, int bins, int stftFrames, int tokenFrames, double binHz, int perFrame = 2)
    {
        int[] band = BandOfBins(bins, binHz);
        var result = new double[tokenFrames][];
        for (int j = 0; j < tokenFrames; j++)
        {
            var e = new double[SegmentEnvelope.Bands];
            for (int d = 0; d <= perFrame; d++)
            {
                int t = (perFrame * j) + d;
                if (t >= stftFrames)
                {
                    continue;
                }

                double w = (d == 0 || d == perFrame ? 0.5 : 1.0) / perFrame;
                for (int k = 0; k < bins; k++)
                {
                    double m = magnitude[(k * stftFrames) + t];
                    e[band[k]] += w * m * m;
                }
            }

            result[j] = e;
        }

        return result;
    }

    /// <summary>
    /// The amplitude factor of every bin of every STFT frame ([bins, stftFrames], bin-major) that applies
    /// <paramref name="decibels"/> (per token frame, null for none = 0 dB in every band): linear in decibels between band
    /// centres (flat beyond the first and last), and between token-frame centres (token frame j is centred on sample
    /// j·tokenHop + tokenHop/2; STFT frame t on sample firstCentre + t·stftHop; beyond the first and last token frames
    /// their values hold). With the model's STFT (firstCentre 0, hop tokenHop/2) an even STFT frame 2j lies halfway
    /// between the centres of token frames j − 1 and j. Null when every frame is null. When some frame holds two rows
    /// (format 1.7, 2 × <see cref="SegmentEnvelope.Bands"/> values) the interpolation runs between correction points
    /// instead (<see cref="Points"/>): each half's centre for such frames, the frame centre for the others.
    /// </summary>
    public static float[]? BinGains(IReadOnlyList<double[]?> decibels, int bins, int stftFrames, double binHz, long firstCentre, int stftHop, int tokenHop)
    {
        if (decibels.All(d => d is null))
        {
            return null;
        }

        var centres = new double[SegmentEnvelope.Bands];
        for (int b = 0; b < centres.Length; b++)
        {
            centres[b] = 0.5 * (EdgesHz[b] + EdgesHz[b + 1]);
        }

        // Per bin: the band centre at or below it and the share of the next.
        var lower = new int[bins];
        var share = new double[bins];
        for (int k = 0; k < bins; k++)
        {
            double f = k * binHz;
            int b = LastAtOrBelow(centres, f);
            lower[k] = b;
            share[k] = f <= centres[0] || b + 1 >= centres.Length ? 0 : (f - centres[b]) / (centres[b + 1] - centres[b]);
        }

        int frames = decibels.Count;
        var gains = new float[bins * stftFrames];
        var row = new double[SegmentEnvelope.Bands];
        (long[] Position, double[]?[] Values)? points = decibels.Any(d => d is { Length: > SegmentEnvelope.Bands }) ? Points(decibels, tokenHop) : null;
        for (int t = 0; t < stftFrames; t++)
        {
            Array.Clear(row);
            if (points is { } p)
            {
                InterpolatePoints(row, p.Position, p.Values, firstCentre + ((long)t * stftHop));
            }
            else
            {
                long offset = firstCentre + ((long)t * stftHop) - (tokenHop / 2);   // from token frame 0's centre
                long j0 = Math.Clamp((long)Math.Floor(offset / (double)tokenHop), -1, frames);
                double alpha = Math.Clamp((offset - (j0 * tokenHop)) / (double)tokenHop, 0, 1);
                Add(row, decibels[(int)Math.Clamp(j0, 0, frames - 1)], 1 - alpha);
                if (alpha > 0)
                {
                    Add(row, decibels[(int)Math.Clamp(j0 + 1, 0, frames - 1)], alpha);
                }
            }

            for (int k = 0; k < bins; k++)
            {
                int b = lower[k];
                double db = share[k] == 0 ? row[b] : ((1 - share[k]) * row[b]) + (share[k] * row[b + 1]);
                gains[(k * stftFrames) + t] = (float)Math.Pow(10, db / 20);
            }
        }

        return gains;
    }

    /// <summary>
    /// Format 1.7 (a window with half-frame corrections): every token frame's correction points, in time order. A frame
    /// with two rows has one at each half's centre (j·tokenHop + tokenHop/4 and + 3·tokenHop/4), a frame with one row or
    /// none (null: 0 dB) one at its centre.
    /// </summary>
    private static (long[] Position, double[]?[] Values) Points(IReadOnlyList<double[]?> decibels, int tokenHop)
    {
        var position = new List<long>();
        var values = new List<double[]?>();
        for (int j = 0; j < decibels.Count; j++)
        {
            long start = (long)j * tokenHop;
            if (decibels[j] is { Length: > SegmentEnvelope.Bands } both)
            {
                position.Add(start + (tokenHop / 4));
                values.Add(both[..SegmentEnvelope.Bands]);
                position.Add(start + (3 * tokenHop / 4));
                values.Add(both[SegmentEnvelope.Bands..]);
            }
            else
            {
                position.Add(start + (tokenHop / 2));
                values.Add(decibels[j]);
            }
        }

        return ([.. position], [.. values]);
    }

    /// <summary>Adds to <paramref name="row"/> the corrections at sample <paramref name="at"/>: linear between the points around it, the first or last point's beyond them.</summary>
    private static void InterpolatePoints(double[] row, long[] position, double[]?[] values, long at)
    {
        int i = Array.BinarySearch(position, at);
        if (i < 0)
        {
            i = ~i - 1;   // the last point before it (−1 when none is)
        }

        if (i < 0)
        {
            Add(row, values[0], 1);
        }
        else if (i >= position.Length - 1)
        {
            Add(row, values[^1], 1);
        }
        else
        {
            double alpha = (at - position[i]) / (double)(position[i + 1] - position[i]);
            Add(row, values[i], 1 - alpha);
            if (alpha > 0)
            {
                Add(row, values[i + 1], alpha);
            }
        }
    }

    /// <summary>
    /// The corrections of token frame <paramref name="frame"/> in dB per band (one row, or two rows one after the other for
    /// format 1.7's half-frame corrections), or null when it has none (every band 0).
    /// </summary>
    public static double[]? Decibels(SegmentEnvelope? envelope, int frame)
    {
        if (envelope is null)
        {
            return null;
        }

        int rows = envelope.SubFrames;
        bool any = false;
        for (int r = 0; r < rows; r++)
        {
            any |= envelope.Frame((frame * rows) + r).ContainsAnyExcept((sbyte)0);
        }

        if (!any)
        {
            return null;
        }

        var result = new double[rows * SegmentEnvelope.Bands];
        for (int r = 0; r < rows; r++)
        {
            for (int b = 0; b < SegmentEnvelope.Bands; b++)
            {
                result[(r * SegmentEnvelope.Bands) + b] = envelope.Decibels((frame * rows) + r, b);
            }
        }

        return result;
    }

    /// <summary>
    /// The corrections of one token frame in steps of <paramref name="stepDb"/>: the input's band energy over the output's
    /// in decibels, rounded, within ±<see cref="SegmentEnvelope.MaxValue"/> steps. <paramref name="floor"/> is added to both
    /// energies so that near-empty bands are not boosted from noise.
    /// </summary>
    public static sbyte[] Corrections(double[] input, double[] output, double stepDb, double floor)
    {
        var v = new sbyte[SegmentEnvelope.Bands];
        for (int b = 0; b < v.Length; b++)
        {
            double db = 10 * Math.Log10((input[b] + floor) / (output[b] + floor));
            v[b] = (sbyte)Math.Clamp((int)Math.Round(db / stepDb), -SegmentEnvelope.MaxValue, SegmentEnvelope.MaxValue);
        }

        return v;
    }

    /// <summary>The band of every bin (a bin at or above the last edge belongs to the last band).</summary>
    private static int[] BandOfBins(int bins, double binHz)
    {
        var band = new int[bins];
        for (int k = 0; k < bins; k++)
        {
            band[k] = LastAtOrBelow(EdgesHz.AsSpan(0, SegmentEnvelope.Bands), k * binHz);
        }

        return band;
    }

    /// <summary>The last index whose value is at or below <paramref name="f"/> (0 when none is), in an ascending list.</summary>
    private static int LastAtOrBelow(ReadOnlySpan<double> ascending, double f)
    {
        int b = 0;
        while (b + 1 < ascending.Length && ascending[b + 1] <= f)
        {
            b++;
        }

        return b;
    }

    private static void Add(double[] row, double[]? values, double weight)
    {
        if (values is null)
        {
            return;
        }

        for (int b = 0; b < row.Length; b++)
        {
            row[b] += weight * values[b];
        }
    }
}
