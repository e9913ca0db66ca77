using TorchSharp;
using VqCodec.Codec.Models;
using VqCodec.Container;
using static TorchSharp.torch;

namespace VqCodec.Codec.Speech;

/// <summary>
/// Whole-signal speech encoding and decoding with a loaded <see cref="SpeechModel"/>, built on the
/// streaming <see cref="SpeechEncoder"/> and <see cref="SpeechDecoder"/>. The network runs on windows of
/// frames with context on both sides wider than its receptive field, so memory is bounded and the
/// result does not depend on where windows fall (up to float rounding).
/// </summary>
public static class SpeechCodec
{
    /// <summary>Encodes mono PCM at <paramref name="sampleRate"/> to .vqc bytes on <paramref name="output"/> (not closed).</summary>
    /// <exception cref="ArgumentException">Empty or invalid audio, or options that do not fit the model.</exception>
    public static SpeechEncodeResult Encode(SpeechModel model, ReadOnlySpan<float> pcm, int sampleRate, Stream output, SpeechEncodeOptions? options = null, int bitsPerSample = 16)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        options ??= new SpeechEncodeOptions();
        var source = new SpeechSource(sampleRate, pcm.Length, bitsPerSample);
        double seconds = (double)pcm.Length / sampleRate;
        if (options.TargetKbps is not double target || options.Levels is not null)
        {
            using var encoder = new SpeechEncoder(model, output, source, options, leaveOpen: true);
            encoder.Write(pcm);
            encoder.Complete();
            return new SpeechEncodeResult(encoder.BytesWritten, encoder.Header.Levels.Length, seconds);
        }

        float[] samples = pcm.ToArray();
        return EncodeAtRate(model, source, encoder => encoder.Write(samples), options, output);
    }

    /// <summary>
    /// Encodes at the rate target of <paramref name="options"/>: the file with the most levels whose total size stays at
    /// or under it (at least one level). <paramref name="feed"/> writes the source's samples into the encoder it is
    /// given; it is called once for every level and, with voice parameters, once more for each setting tried: at targets
    /// of <see cref="HalfFrameMinKbps"/> and more, first corrections every 10 ms (format 1.7) with the most levels that fit
    /// beside them; then the level count whose tokens fit, with 3 dB and then 4.5 dB envelope corrections, then fewer levels when the corrections
    /// take the file over the target; when one level with 4.5 dB corrections is still over it, one level with 6 dB
    /// corrections, and then the file without them at the level count whose tokens fit.
    /// </summary>
    /// <exception cref="ArgumentException">No rate target, empty or invalid audio, or options that do not fit the model.</exception>
    public static SpeechEncodeResult EncodeAtRate(SpeechModel model, SpeechSource source, Action<SpeechEncoder> feed, SpeechEncodeOptions options, Stream output)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(feed);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        double target = options.TargetKbps ?? throw new ArgumentException("a rate target (TargetKbps) is needed", nameof(options));
        double seconds = (double)source.SampleCount / source.SampleRate;

        // Every level once (packed: only the tokens are needed; with the pitch, whose blocks count in the size, but
        // not the voice gains, raw bytes that do not change it), then the most levels whose whole file fits.
        MemoryStream all = EncodePass(model, source, feed, options.ForRateSearch());
        all.Position = 0;
        if (!options.Voice)
        {
            return FitRate(model, all, target, seconds, options.Policy, output);
        }

        // The gains and envelope corrections are measured on the output the file will give: encoding again at the level
        // count that fits (same tokens and pitch). Gains do not change the size; envelope corrections add to it, so when
        // the file no longer fits, their measured rate comes off the target for the tokens and the level count falls.
        SpeechEncodeResult fitted = FitRate(model, all, target, seconds, options.Policy, Stream.Null);
        if (options.Envelope && !options.EnvelopeHalfFrames && target >= HalfFrameMinKbps
            && TryHalfFrames(model, source, feed, options, all, target, seconds, fitted.Levels, output) is { } half)
        {
            return half;
        }

        int levels = fitted.Levels, baseStep = options.EnvelopeStepQuarterDb, step = baseStep;
        double baseKbps = 0, coarseKbps = 0;
        while (true)
        {
            MemoryStream file = EncodePass(model, source, feed, options.WithEnvelopeStep(step).WithLevels(levels));
            double kbps = file.Length * 8 / seconds / 1000;
            if (kbps <= target || (levels == 1 && !options.Envelope))
            {
                file.Position = 0;
                file.CopyTo(output);
                return new SpeechEncodeResult(file.Length, levels, seconds);
            }

            if (step == baseStep)
            {
                (baseKbps, coarseKbps) = (kbps, 0);
            }
            else if (step == CoarseEnvelopeSteps[0])
            {
                coarseKbps = kbps;
            }

            if (options.Envelope && CoarserEnvelopeStep(step, levels) is int coarser)
            {
                // Over the target with few levels: coarser corrections before one level fewer (4.5 dB steps cost about a
                // quarter fewer bits than 3 dB ones; see CoarseStepLevels), and with one level 6 dB, then none.
                step = coarser;
                continue;
            }

            if (levels == 1)
            {
                // Even one level with coarse corrections is over the target: the level count whose tokens fit, without
                // corrections, as format 1.4 files were.
                using var encoder = new SpeechEncoder(model, output, source, options.WithoutEnvelope(fitted.Levels), leaveOpen: true);
                feed(encoder);
                encoder.Complete();
                return new SpeechEncodeResult(encoder.BytesWritten, fitted.Levels, seconds);
            }

            // The corrections' rate at each step comes off the target for the tokens, and the level count falls: to the
            // most levels that fit with either step, with the base step when they fit with it. The coarse step's rate is
            // known only once tried; until then its level counts (CoarseStepLevels and below) are candidates.
            double tokens = TokenKbps(model, all, seconds, options.Policy, levels);
            int FittingLevels(double envelopeKbps) => LevelsThatFit(model, all, target - (envelopeKbps - tokens), seconds, options.Policy);

            int withBase = FittingLevels(baseKbps);
            int withCoarse = coarseKbps > 0 ? FittingLevels(coarseKbps) : Math.Min(CoarseStepLevels, levels - 1);
            levels = Math.Min(Math.Max(withBase, withCoarse), levels - 1);
            step = levels <= withBase ? baseStep : CoarseEnvelopeSteps[0];
        }
    }

    /// <summary>
    /// Rate control's first choice at high targets: envelope corrections every 10 ms (format 1.7) with the most levels that
    /// fit beside them, from <paramref name="levels"/> (the count whose tokens alone fit) down to
    /// <see cref="HalfFrameMinLevels"/>; null (nothing written) when even that is over the target.
    /// </summary>
    private static SpeechEncodeResult? TryHalfFrames(SpeechModel model, SpeechSource source, Action<SpeechEncoder> feed, SpeechEncodeOptions options, MemoryStream all, double target, double seconds, int levels, Stream output)
    {
        SpeechEncodeOptions half = options.WithHalfFrames(true);
        while (levels >= HalfFrameMinLevels)
        {
            MemoryStream file = EncodePass(model, source, feed, half.WithLevels(levels));
            double kbps = file.Length * 8 / seconds / 1000;
            if (kbps <= target)
            {
                file.Position = 0;
                file.CopyTo(output);
                return new SpeechEncodeResult(file.Length, levels, seconds);
            }

            // The corrections' measured rate comes off the target for the tokens.
            double tokens = TokenKbps(model, all, seconds, options.Policy, levels);
            levels = Math.Min(LevelsThatFit(model, all, target - (kbps - tokens), seconds, options.Policy), levels - 1);
        }

        return null;
    }

    /// <summary>One encoding pass of the source (<paramref name="feed"/>) into memory.</summary>
    private static MemoryStream EncodePass(SpeechModel model, SpeechSource source, Action<SpeechEncoder> feed, SpeechEncodeOptions options)
    {
        var file = new MemoryStream();
        using var encoder = new SpeechEncoder(model, file, source, options, leaveOpen: true);
        feed(encoder);
        encoder.Complete();
        return file;
    }

    /// <summary>The rate (kbit/s) of a file holding only the first <paramref name="levels"/> levels of <paramref name="all"/>.</summary>
    private static double TokenKbps(SpeechModel model, MemoryStream all, double seconds, TokenCodingPolicy policy, int levels)
    {
        all.Position = 0;
        return FitRate(model, all, 1e9, seconds, policy, Stream.Null, levels).Kbps;
    }

    /// <summary>The most levels of <paramref name="all"/> whose file stays at or under <paramref name="kbps"/> (at least one).</summary>
    private static int LevelsThatFit(SpeechModel model, MemoryStream all, double kbps, double seconds, TokenCodingPolicy policy)
    {
        all.Position = 0;
        return FitRate(model, all, kbps, seconds, policy, Stream.Null).Levels;
    }

    /// <summary>
    /// Lowest rate target (kbit/s) at which rate control tries half-frame corrections first. On 25 `valid_more` files
    /// (design.md, "Half-frame corrections") one level with them took 4.62 kbps for STOI 0.911, where 20 ms corrections
    /// reached 0.909 with six levels at 4.66 kbps and 0.910 at or under 6 kbps: from about 4.5 kbps on they are the better use
    /// of the bits, and under it they do not fit.
    /// </summary>
    internal const double HalfFrameMinKbps = 4.5;

    /// <summary>Fewest levels rate control keeps with half-frame corrections before it turns to 20 ms ones: one (see <see cref="HalfFrameMinKbps"/>).</summary>
    internal const int HalfFrameMinLevels = 1;

    /// <summary>
    /// The next coarser envelope step (quarter dB) rate control tries at <paramref name="levels"/> levels after
    /// <paramref name="step"/>: 4.5 dB with at most <see cref="CoarseStepLevels"/> levels, then 6 dB with one level; null
    /// when there is none.
    /// </summary>
    private static int? CoarserEnvelopeStep(int step, int levels)
    {
        foreach (int s in CoarseEnvelopeSteps)
        {
            if (s > step && levels <= CoarseStepLevels && (levels == 1 || s <= CoarseEnvelopeSteps[0]))
            {
                return s;
            }
        }

        return null;
    }

    /// <summary>
    /// The most levels at which rate control tries 4.5 dB corrections before one level fewer. On valid_more (design.md,
    /// "Rate control with corrections") 2 levels with 4.5 dB beat 1 with 3 dB (STOI 0.898 at 2.71 kbps against 0.895 at
    /// about 2.9), 3 with 4.5 dB tie with 2 with 3 dB, and above that a level is worth less than the finer step: allowing
    /// 4.5 dB at every level count lowered STOI at or under 6 kbps from 0.912 to 0.908.
    /// </summary>
    private const int CoarseStepLevels = 2;

    /// <summary>The envelope steps (quarter dB) rate control falls back to, in turn, when a file with the default step is over the target (<see cref="CoarserEnvelopeStep"/>).</summary>
    private static readonly int[] CoarseEnvelopeSteps = [18, 24];

    /// <summary>
    /// Reads a complete .vqc speech stream and writes the version with the most levels whose total size
    /// stays at or under <paramref name="targetKbps"/> over <paramref name="seconds"/> (at least one level).
    /// </summary>
    public static SpeechEncodeResult FitRate(SpeechModel model, Stream allLevels, double targetKbps, double seconds, TokenCodingPolicy policy, Stream output) =>
        FitRate(model, allLevels, targetKbps, seconds, policy, output, int.MaxValue);

    /// <summary>As <see cref="FitRate(SpeechModel, Stream, double, double, TokenCodingPolicy, Stream)"/>, keeping at most <paramref name="maxLevels"/> levels.</summary>
    private static SpeechEncodeResult FitRate(SpeechModel model, Stream allLevels, double targetKbps, double seconds, TokenCodingPolicy policy, Stream output, int maxLevels)
    {
        ArgumentNullException.ThrowIfNull(model);
        VqcDocument doc = VqcDocument.Read(allLevels, model.FindPriors, leaveOpen: true);
        var writerOptions = new VqcWriterOptions { Policy = policy, Priors = model.Priors };
        VqcDocument Candidate(int n) => n == doc.Header.Levels.Length ? doc : doc.Truncate(n);
        bool Fits(int n) => Candidate(n).Write(Stream.Null, writerOptions) * 8 / seconds / 1000 <= targetKbps;

        // The size grows with the level count, so a binary search finds the most levels that fit in about
        // log2(levels) trial writes (each one entropy-codes every segment, with the learned prior where it pays).
        int lo = 1, hi = Math.Min(doc.Header.Levels.Length, maxLevels);
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (Fits(mid))
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        long bytes = Candidate(lo).Write(output, writerOptions, leaveOpen: true);
        return new SpeechEncodeResult(bytes, lo, seconds);
    }

    /// <summary>Decodes a whole .vqc speech stream to mono PCM (model rate, or the source rate with <see cref="SpeechDecodeOptions.OriginalRate"/>).</summary>
    /// <exception cref="ModelMismatchException">The file was made by another model.</exception>
    /// <param name="model">The model the file was made with.</param>
    /// <param name="input">The file (not closed).</param>
    /// <param name="options">Decoding options, among them the largest output accepted (<see cref="SpeechDecodeOptions.MaxSamples"/>).</param>
    /// <exception cref="VqcFormatException">Bad bytes, or more samples than <see cref="SpeechDecodeOptions.MaxSamples"/>.</exception>
    public static (float[] Samples, int SampleRate) Decode(SpeechModel model, Stream input, SpeechDecodeOptions? options = null)
    {
        options ??= new SpeechDecodeOptions();
        long maxSamples = options.MaxSamples;
        using var decoder = new SpeechDecoder(model, input, options, leaveOpen: true);
        if (decoder.OutputLength > Math.Min(maxSamples, int.MaxValue / 2))
        {
            throw new VqcFormatException($"the file declares {decoder.OutputLength} samples, above the limit of {Math.Min(maxSamples, int.MaxValue / 2)} (stream larger files with SpeechDecoder)", VqcHeader.FileOffset);
        }

        // Grows with the samples actually decoded (never with the length the header claims), and reads on to the
        // end chunk, so a file cut or corrupted after its last segment is still refused.
        var samples = new List<float>();
        var block = new float[1 << 16];
        int n;
        while ((n = decoder.Read(block)) > 0)
        {
            samples.AddRange(block.AsSpan(0, n));
        }

        if (samples.Count != decoder.OutputLength)
        {
            throw new VqcFormatException($"the file decodes to {samples.Count} samples; its header says {decoder.OutputLength}", 16);
        }

        return ([.. samples], decoder.OutputSampleRate);
    }

    /// <summary>
    /// Draws <paramref name="seconds"/> of token frames (<paramref name="levels"/> levels) from the model's learned
    /// token prior, one segment of <paramref name="segmentFrames"/> frames at a time (the prior's context restarts
    /// at each, as in a file), and returns them as a .vqc file of the model: speech the model never heard, a
    /// demonstration that the tokens form a learnable language. Decode it with <see cref="Decode"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model's token priors have no context prior.</exception>
    public static byte[] Generate(SpeechModel model, double seconds, int levels, int seed, double temperature = 1.0, int segmentFrames = 50)
    {
        ArgumentNullException.ThrowIfNull(model);
        ContextPrior prior = model.Priors?.Context ?? throw new InvalidOperationException($"model '{model.Id}' has no learned token prior");
        ArgumentOutOfRangeException.ThrowIfLessThan(levels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(levels, Math.Min(prior.Levels, model.Config.Levels));
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentFrames, 1);
        if (!(seconds > 0 && seconds <= 3600))
        {
            throw new ArgumentOutOfRangeException(nameof(seconds), "0 to 3600 s");
        }

        int frames = Math.Max(1, (int)Math.Round(seconds * model.Config.FrameRate));
        var random = new Random(seed);
        var tokens = Enumerable.Range(0, levels).Select(_ => new int[frames]).ToArray();
        for (int start = 0; start < frames; start += segmentFrames)
        {
            int n = Math.Min(segmentFrames, frames - start);
            int[][] segment = prior.Sample(levels, n, random, temperature);
            for (int l = 0; l < levels; l++)
            {
                segment[l].CopyTo(tokens[l], start);
            }
        }

        VqcHeader header = TokenHeader(model, frames, levels, segmentFrames);
        var metadata = new Dictionary<string, string> { ["generated"] = $"sampled from the token prior, seed {seed}, temperature {temperature.ToString(System.Globalization.CultureInfo.InvariantCulture)}" };
        var file = new MemoryStream();
        new VqcDocument(header, tokens, metadata).Write(file, new VqcWriterOptions { Priors = model.Priors }, leaveOpen: true);
        return file.ToArray();
    }

    /// <summary>
    /// Every level's tokens of a model-rate signal, level by level ([levels][frames]), as the encoder chooses them
    /// (the token grids that priors and the learned prior are estimated from).
    /// </summary>
    public static int[][] EncodeTokens(SpeechModel model, float[] signal)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(signal);
        var file = new MemoryStream();
        Encode(model, signal, model.Config.SampleRate, file, new SpeechEncodeOptions { Policy = TokenCodingPolicy.Packed, Levels = model.Config.Levels, Voice = false });
        file.Position = 0;
        return VqcDocument.Read(file).Tokens;
    }

    /// <summary>
    /// The header of a file holding <paramref name="frames"/> token frames of <paramref name="levels"/> levels of
    /// <paramref name="model"/> at its own sample rate (frames × hop samples), in segments of <paramref name="segmentFrames"/>.
    /// </summary>
    public static VqcHeader TokenHeader(SpeechModel model, int frames, int levels, int segmentFrames = 50)
    {
        ArgumentNullException.ThrowIfNull(model);
        var header = new VqcHeader
        {
            Kind = MediaKind.Speech,
            SampleRate = model.Config.SampleRate,
            SampleCount = (long)frames * model.Config.Hop,
            Channels = 1,
            BitsPerSample = 16,
            ModelId = model.Id,
            ModelHash = model.Hash,
            PriorsHash = model.Priors?.Hash ?? new byte[32],
            SegmentLength = Math.Min(segmentFrames, frames),
            Levels = Enumerable.Repeat(new TokenLevelLayout(model.Config.CodebookSize, 1, frames), levels).ToArray(),
        };
        header.Validate();
        return header;
    }

    /// <summary>
    /// Runs the encoder network on model-rate samples covering frames [lo, hi) and returns the codes of
    /// the <paramref name="count"/> frames starting <paramref name="skip"/> frames into the window, per level.
    /// </summary>
    internal static int[][] EncodeWindow(SpeechModel model, float[] samples, int levels, int skip, int count) =>
        NativeCallGuard.Run(() => EncodeWindowCore(model, samples, levels, skip, count));

    private static int[][] EncodeWindowCore(SpeechModel model, float[] samples, int levels, int skip, int count)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        // The centred STFT reflects half a window at each end, which needs more samples than that: a signal of
        // a frame or two (down to one sample) is extended with the silence that follows it anyway.
        int minimum = model.Config.StftSize + model.Config.Hop;
        if (samples.Length < minimum)
        {
            Array.Resize(ref samples, minimum / model.Config.Hop * model.Config.Hop);
        }

        Tensor x = torch.tensor(samples, [1, samples.Length]);
        Tensor z = model.Network.Encode(x)[.., .., skip..(skip + count)];
        Tensor codes = model.Network.Quantizer.Encode(SpeechVqVae.ToRows(z), levels).t().contiguous();
        long[] flat = codes.data<long>().ToArray();
        var result = new int[levels][];
        for (int l = 0; l < levels; l++)
        {
            result[l] = new int[count];
            for (int f = 0; f < count; f++)
            {
                result[l][f] = (int)flat[(l * count) + f];
            }
        }

        return result;
    }

    /// <summary>
    /// Decodes codes [levels][frames] to model-rate samples and returns those of frames [skip, skip + count).
    /// <paramref name="phase"/> carries a phase-continuous model's running STFT phase from one window to the
    /// next (null on the first window or after a seek; updated to the phase at the window's end).
    /// </summary>
    internal static float[] DecodeWindow(SpeechModel model, int[][] codes, int skip, int count, ref float[]? phase, VoiceWindow? voice = null)
    {
        float[]? carried = phase;
        (float[] samples, float[]? next) = NativeCallGuard.Run(() => DecodeWindowCore(model, codes, skip, count, carried, voice));
        phase = next;
        return samples;
    }

    private static (float[] Samples, float[]? Phase) DecodeWindowCore(SpeechModel model, int[][] codes, int skip, int count, float[]? phase, VoiceWindow? voice)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        int levels = codes.Length, frames = codes[0].Length;
        var flat = new long[frames * levels];
        for (int f = 0; f < frames; f++)
        {
            for (int l = 0; l < levels; l++)
            {
                flat[(f * levels) + l] = codes[l][f];
            }
        }

        Tensor rows = model.Network.Quantizer.Decode(torch.tensor(flat, [frames, levels]));
        int stftPerFrame = model.Config.Hop / model.Config.StftHop;
        Tensor? anchor = phase is null ? null : torch.tensor(phase, [1, phase.Length]);
        (Tensor y, Tensor p) = model.Network.Decode(SpeechVqVae.FromRows(rows, 1, frames), anchor, (long)skip * stftPerFrame);
        int hop = model.Config.Hop;
        float[] samples;
        if (voice is not null && !HarmonicSynthesizer.IsNeutral(voice.Pitch, voice.Gains, voice.Envelope, voice.EnvelopeAfter))
        {
            samples = voice.Synthesizer.Apply(y, voice.Pitch, voice.Gains, skip, count, voice.Envelope, voice.EnvelopeAfter);
            for (int i = 0; i < samples.Length; i++)
            {
                samples[i] = Math.Clamp(samples[i], -1f, 1f);
            }
        }
        else
        {
            samples = y[0, (skip * hop)..((skip + count) * hop)].clamp(-1, 1).data<float>().ToArray();
            voice?.Synthesizer.Remember(samples);
        }

        float[]? next = model.Config.CumulativePhase ? p[0, .., (skip + count) * stftPerFrame].contiguous().data<float>().ToArray() : null;
        return (samples, next);
    }
}

/// <summary>
/// The voice parameters of a decode window's token frames (pitch codes, gains in quarter dB, envelope corrections in dB per
/// band or null: format 1.5's before the synthesis, format 1.6's after it) and the synthesiser that carries their phase
/// and the previous window's last output.
/// </summary>
internal sealed record VoiceWindow(byte[] Pitch, int[] Gains, HarmonicSynthesizer Synthesizer, double[]?[]? Envelope = null, double[]?[]? EnvelopeAfter = null);
