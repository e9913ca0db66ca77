using TorchSharp;
using VqCodec.Codec.Models;
using VqCodec.Container;
using static TorchSharp.torch;

namespace VqCodec.Codec.Speech;

/// <summary>
/// The decoder half of the voice parameters (format 1.4, <c>spec/design.md</c>, "Voice parameters"): harmonic
/// synthesis driven by the transmitted F0 and gain. The network's output is analysed with the model's STFT; in
/// voiced frames its energy in the band of each harmonic k below <see cref="CutoffHz"/> (the bins within F0/2 of
/// k·F0; from <see cref="TaperStartHz"/> on a falling share of it) becomes the amplitude of a sinusoid at exactly
/// k·F0, synthesised sample by sample with F0 and amplitudes interpolated between frame centres and one running
/// phase, so the harmonics follow the speaker's pitch and stay sharp. That energy is removed from the spectrum
/// the inverse STFT resynthesises; unvoiced frames and the band above the cut-off stay the network's. The gain
/// of each token frame (its segment's) then scales the output, interpolated between frame centres. The running
/// phase carries from one decode window to the next; <see cref="Reset"/> after a seek.
/// </summary>
internal sealed class HarmonicSynthesizer
{
    /// <summary>Highest harmonic frequency synthesised (Hz).</summary>
    public const double CutoffHz = 5000;

    /// <summary>Output level of a token frame (dBFS) around which the gain fades in: none 5 dB below, all 5 dB above.</summary>
    public const double SilenceDb = -40;

    /// <summary>
    /// Frequency from which the harmonics take a linearly falling share of the band energy, none at <see cref="CutoffHz"/>;
    /// below it they take all of it (leaving a tenth to the network as an aperiodic floor lowered the mel distance and
    /// cost STOI and pitch: design.md).
    /// </summary>
    public const double TaperStartHz = 2000;

    private readonly SpeechModelConfig _config;
    private readonly double _amplitudeScale;
    private double _phase;
    private float[]? _tail;   // the previous window's last output samples before format-1.6 corrections

    public HarmonicSynthesizer(SpeechModelConfig config)
    {
        _config = config;

        // A sinusoid of amplitude A under a periodic Hann window of N points puts N·ΣW²·A²/4 into the bins of one
        // side of the (non-normalised) DFT, with ΣW² = 3N/8.
        _amplitudeScale = 4.0 / (config.StftSize * (3.0 * config.StftSize / 8));
    }

    /// <summary>Forgets the running phase (after a seek).</summary>
    public void Reset()
    {
        _phase = 0;
        _tail = null;
    }

    /// <summary>
    /// Keeps the last <see cref="SpectralEnvelope.AfterSynthesisSize"/> samples of a window's output before format-1.6
    /// corrections: the next window's corrections see them as their left context. A window decoded without the
    /// synthesiser passes its output here too.
    /// </summary>
    public void Remember(ReadOnlySpan<float> output)
    {
        int context = SpectralEnvelope.AfterSynthesisSize;
        var tail = new float[context];
        ReadOnlySpan<float> last = output.Length >= context ? output[^context..] : output;
        if (last.Length < context && _tail is not null)
        {
            _tail.AsSpan(last.Length).CopyTo(tail);   // a window shorter than the context keeps the older samples before it
        }

        last.CopyTo(tail.AsSpan(context - last.Length));
        _tail = tail;
    }

    /// <summary>True when the frames carry no voice information at all (every frame unvoiced, every gain 0 dB, no envelope correction).</summary>
    public static bool IsNeutral(ReadOnlySpan<byte> pitch, ReadOnlySpan<int> gains, IReadOnlyList<double[]?>? envelope = null, IReadOnlyList<double[]?>? after = null) =>
        !pitch.ContainsAnyExcept((byte)0) && !gains.ContainsAnyExcept(0) && (envelope is null || envelope.All(e => e is null)) && (after is null || after.All(e => e is null));

    /// <summary>
    /// Applies the voice parameters of the window's token frames (<paramref name="pitch"/>, <paramref name="gains"/> in
    /// quarter dB, one per frame) to the network's waveform <paramref name="waveform"/> [1, frames·hop] and returns the
    /// samples of frames [skip, skip + count).
    /// </summary>
    public float[] Apply(Tensor waveform, ReadOnlySpan<byte> pitch, ReadOnlySpan<int> gains, int skip, int count, IReadOnlyList<double[]?>? envelope = null, IReadOnlyList<double[]?>? after = null)
    {
        using var scope = NewDisposeScope();
        int frames = pitch.Length, hop = _config.Hop, stftHop = _config.StftHop;
        long length = (long)frames * hop;
        Tensor window = torch.hann_window(_config.StftSize, periodic: true);
        Tensor spectrum = SpectralEnvelope.Stft(_config, waveform);
        int bins = (int)spectrum.shape[1], stftFrames = (int)spectrum.shape[2];

        // Format 1.5: the spectral envelope corrections scale the network's spectrum first, so the harmonics take their
        // amplitudes from the corrected band energies.
        if (envelope is not null && SpectralEnvelope.BinGains(envelope, bins, stftFrames, (double)_config.SampleRate / _config.StftSize, 0, stftHop, hop) is { } binGains)
        {
            spectrum = spectrum * torch.tensor(binGains, [1, bins, stftFrames]);
        }

        float[] magnitude = spectrum.abs()[0].contiguous().data<float>().ToArray();

        // F0 per STFT frame: token frame j is centred on STFT frame 2j + 1 (the model's hop is two STFT hops); the
        // frames between two token frames take the geometric mean when both are voiced, else the voiced one's.
        var f0 = new double[stftFrames];
        for (int t = 0; t < stftFrames; t++)
        {
            if (t % 2 == 1)
            {
                f0[t] = (t - 1) / 2 < frames ? SegmentVoice.PitchHz(pitch[(t - 1) / 2]) : 0;
                continue;
            }

            double a = t / 2 >= 1 ? SegmentVoice.PitchHz(pitch[(t / 2) - 1]) : 0, b = t / 2 < frames ? SegmentVoice.PitchHz(pitch[t / 2]) : 0;
            f0[t] = a > 0 && b > 0 ? Math.Sqrt(a * b) : Math.Max(a, b);
        }

        var kept = new float[magnitude.Length];
        double[][] amplitudes = Split(magnitude, bins, stftFrames, f0, kept);
        Tensor residual = torch.istft(spectrum * torch.tensor(kept, [1, bins, stftFrames]), _config.StftSize, stftHop, window: window, center: true, length: length);
        float[] output = residual[0, (skip * hop)..((skip + count) * hop)].data<float>().ToArray();
        var harmonic = new float[output.Length];
        int perFrame = hop / stftHop;
        Render(amplitudes, f0, perFrame * skip, perFrame * (skip + count), harmonic);

        // The gain, interpolated between token-frame centres, applies in full to token frames whose output is above
        // −35 dBFS and fades out to none at −45 dBFS: the decoder's noise floor in pauses keeps its level (gaining it
        // too made the mel distance worse; a gate relative to the window's loudest frame did as well and made the
        // output depend on where decode windows fall: design.md).
        var weight = new double[count];
        for (int j = 0; j < count; j++)
        {
            double e = 0;
            for (int i = j * hop; i < (j + 1) * hop; i++)
            {
                double v = output[i] + harmonic[i];
                e += v * v;
            }

            weight[j] = 10 * Math.Log10((e / hop) + 1e-20);
        }

        for (int j = 0; j < count; j++)
        {
            weight[j] = Math.Clamp((weight[j] - SilenceDb + 5) / 10, 0, 1);
        }

        for (int i = 0; i < output.Length; i++)
        {
            double u = ((double)((skip * hop) + i) - (0.5 * hop)) / hop;
            int j = (int)Math.Floor(u);
            double alpha = u - j;
            int j0 = Math.Clamp(j, 0, frames - 1), j1 = Math.Clamp(j + 1, 0, frames - 1);
            double w0 = weight[Math.Clamp(j0 - skip, 0, count - 1)], w1 = weight[Math.Clamp(j1 - skip, 0, count - 1)];
            double quarterDb = ((1 - alpha) * gains[j0] * w0) + (alpha * gains[j1] * w1);
            output[i] = (float)((output[i] + harmonic[i]) * Math.Pow(10, quarterDb / 80));
        }

        float[] left = _tail ?? new float[SpectralEnvelope.AfterSynthesisSize];
        Remember(output);
        if (after is not null && after.Any(e => e is not null))
        {
            // Format 1.6: the corrections apply to the synthesised output through a short STFT whose frames see the
            // previous window's last output on the left and, on the right, the next frames' output rendered ahead
            // (the phase is put back: the next window renders them again from here).
            int context = SpectralEnvelope.AfterSynthesisSize, end = (skip + count) * hop;
            var right = new float[context];
            if (skip + count < frames)
            {
                int ahead = (context + stftHop - 1) / stftHop;
                var rendered = new float[ahead * stftHop];
                double phase = _phase;
                Render(amplitudes, f0, perFrame * (skip + count), (perFrame * (skip + count)) + ahead, rendered);
                _phase = phase;
                float[] rest = residual[0, end..(int)Math.Min(length, end + context)].data<float>().ToArray();
                for (int i = 0; i < context; i++)
                {
                    right[i] = (i < rest.Length ? rest[i] : 0) + rendered[i];
                }
            }

            output = SpectralEnvelope.ApplyAfterSynthesis(left, output, right, after, skip, hop, _config.SampleRate);
        }

        return output;
    }

    /// <summary>
    /// Harmonic amplitudes of every STFT frame (empty when unvoiced) from <paramref name="magnitude"/> [bins, frames];
    /// <paramref name="kept"/> receives, per bin, the factor of its magnitude left for the inverse STFT.
    /// </summary>
    private double[][] Split(float[] magnitude, int bins, int frames, double[] f0, float[] kept)
    {
        Array.Fill(kept, 1f);
        double binHz = (double)_config.SampleRate / _config.StftSize;
        var amplitudes = new double[frames][];
        for (int t = 0; t < frames; t++)
        {
            double f = f0[t];
            int count = f <= 0 ? 0 : (int)Math.Floor(Math.Min(CutoffHz, (0.5 * _config.SampleRate) - (0.5 * f)) / f);
            amplitudes[t] = new double[count];
            for (int k = 1; k <= count; k++)
            {
                double lo = (k - 0.5) * f / binHz, hi = (k + 0.5) * f / binHz;
                double taper = k * f <= TaperStartHz ? 1 : Math.Clamp((CutoffHz - (k * f)) / (CutoffHz - TaperStartHz), 0, 1);
                double energy = 0;
                for (int b = Math.Max(0, (int)Math.Floor(lo + 0.5)); b <= Math.Min(bins - 1, (int)Math.Ceiling(hi - 0.5)); b++)
                {
                    // The share of bin b (covering [b − 0.5, b + 0.5]) inside the harmonic's band.
                    double share = Math.Clamp(Math.Min(hi, b + 0.5) - Math.Max(lo, b - 0.5), 0, 1) * taper;
                    if (share <= 0)
                    {
                        continue;
                    }

                    int index = (b * frames) + t;
                    double m = magnitude[index];
                    energy += share * m * m;
                    kept[index] = (float)Math.Sqrt(Math.Max(0, kept[index] * kept[index] * (1 - share)));
                }

                amplitudes[t][k - 1] = Math.Sqrt(energy * _amplitudeScale);
            }
        }

        return amplitudes;
    }

    /// <summary>Adds the harmonics between the centres of STFT frames first and last to <paramref name="output"/> (element 0 = frame first's centre).</summary>
    private void Render(double[][] amplitudes, double[] f0, int first, int last, float[] output)
    {
        int hop = _config.StftHop, o = 0;
        for (int t = first; t < last; t++)
        {
            double[] a = amplitudes[t], b = amplitudes[t + 1];
            int count = Math.Max(a.Length, b.Length);
            if (count == 0)
            {
                o += hop;
                continue;
            }

            // At a voicing edge the pitch holds at the voiced side's and the amplitudes ramp from zero. The phase restarts
            // at every voicing onset, so after a seek the output is again that of a whole decode from the next onset on.
            if (a.Length == 0)
            {
                _phase = 0;
            }

            double start = f0[t] > 0 ? f0[t] : f0[t + 1], end = f0[t + 1] > 0 ? f0[t + 1] : f0[t];
            for (int i = 0; i < hop; i++, o++)
            {
                double alpha = (i + 0.5) / hop;
                _phase += 2 * Math.PI * (start + ((end - start) * alpha)) / _config.SampleRate;
                if (_phase > Math.PI)
                {
                    _phase -= 2 * Math.PI;
                }

                // cos(kφ) for k = 1, 2, … by rotation.
                double c1 = Math.Cos(_phase), s1 = Math.Sin(_phase), c = c1, s = s1, sum = 0;
                for (int k = 0; k < count; k++)
                {
                    double ak = k < a.Length ? a[k] : 0, bk = k < b.Length ? b[k] : 0;
                    sum += (ak + ((bk - ak) * alpha)) * c;
                    double next = (c * c1) - (s * s1);
                    s = (s * c1) + (c * s1);
                    c = next;
                }

                output[o] += (float)sum;
            }
        }
    }
}
