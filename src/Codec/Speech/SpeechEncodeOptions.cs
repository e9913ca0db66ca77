using VqCodec.Container;

namespace VqCodec.Codec.Speech;

/// <summary>Options of speech encoding.</summary>
public sealed class SpeechEncodeOptions
{
    private readonly int _segmentFrames = DefaultSegmentFrames;
    private readonly int _windowFrames = 250;

    /// <summary>
    /// Levels kept when neither <see cref="Levels"/> nor <see cref="TargetKbps"/> is given: the knee of the measured
    /// rate-quality curve with envelope corrections (4 levels, 3.65–3.86 kbps with the container's framing: STOI within
    /// 0.002 of 6 levels at 83 % of their rate on both validation sets, spec/models.md).
    /// </summary>
    public const int DefaultLevels = 4;

    /// <summary>
    /// RVQ levels to keep (1..model levels); null keeps <see cref="DefaultLevels"/>, or with
    /// <see cref="TargetKbps"/> codes every level and keeps as many as the target allows.
    /// </summary>
    public int? Levels { get; init; }

    /// <summary>
    /// Largest bitrate in kbit/s, measured on the whole file (total bytes × 8 / duration); the encoder keeps
    /// the most levels that fit (at least one). Whole-signal encoding only (<see cref="SpeechCodec.Encode"/>).
    /// </summary>
    public double? TargetKbps { get; init; }

    /// <summary>How token planes are entropy coded (default: the smallest of the applicable modes).</summary>
    public TokenCodingPolicy Policy { get; init; } = TokenCodingPolicy.Smallest;

    /// <summary>
    /// Default <see cref="SegmentFrames"/>: 250 frames, 5 s (1 s until 2026-12-07). Every segment restarts the token
    /// prior's context, the voice and envelope coders' adaptive contexts, and costs a chunk and a seek-table entry: about
    /// 68 bytes on `valid_more` at 2 levels, 0.54 kbps with 1 s segments (design.md, "Segment length").
    /// </summary>
    public const int DefaultSegmentFrames = 250;

    /// <summary>
    /// Token frames per independently decodable segment (default <see cref="DefaultSegmentFrames"/> = 5 s at 50
    /// frames/s): the seek granularity (a seek decodes forward from the segment's start, at most 5 s of speech, about
    /// 50 ms) and the streaming latency (an encoder writes a segment when it is complete). Shorter segments cost rate:
    /// about 68 bytes each.
    /// </summary>
    public int SegmentFrames
    {
        get => _segmentFrames;
        init => _segmentFrames = value is >= 1 and <= 1 << 16 ? value : throw new ArgumentOutOfRangeException(nameof(SegmentFrames), "1 to 65536 frames");
    }

    /// <summary>Frames the network processes at once (plus context on each side); bounds memory, not the output.</summary>
    public int WindowFrames
    {
        get => _windowFrames;
        init => _windowFrames = value is >= 1 and <= 1 << 14 ? value : throw new ArgumentOutOfRangeException(nameof(WindowFrames), "1 to 16384 frames");
    }

    /// <summary>The levels the encoder codes for a model of <paramref name="modelLevels"/> levels.</summary>
    public int EffectiveLevels(int modelLevels) => Levels ?? (TargetKbps is null ? Math.Min(DefaultLevels, modelLevels) : modelLevels);

    /// <summary>String metadata stored in the file (a `meta` chunk, about 80 bytes; none by default, since at 3 kbps that is a quarter of a second of audio).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>A copy with another coding policy.</summary>
    /// <summary>
    /// Send the voice parameters of every segment (format 1.4): the pitch of each token frame and an output gain,
    /// from which the decoder synthesises the speaker's harmonics and level (about 0.2 kbps; see
    /// <c>spec/design.md</c>). Default true; false writes files that decoders before format 1.4 can read.
    /// </summary>
    public bool Voice { get; init; } = true;

    /// <summary>
    /// With <see cref="Voice"/>: send spectral envelope corrections (format 1.6): per token frame and band, how far the
    /// decoder's synthesised output energy falls from the input's, so the decoder restores the band levels the tokens lose
    /// (<c>spec/design.md</c>, "Envelope corrections"). Default true; false writes format-1.4 files.
    /// </summary>
    public bool Envelope { get; init; } = true;

    /// <summary>
    /// With <see cref="Envelope"/>: send the corrections every 10 ms (two per token frame, format 1.7) instead of every
    /// 20 ms, for about twice their rate (<c>spec/design.md</c>, "Half-frame corrections"). Default false; with
    /// <see cref="TargetKbps"/> the rate control chooses them itself when the target is high enough.
    /// </summary>
    public bool EnvelopeHalfFrames { get; init; }

    /// <summary>Step of the envelope corrections in quarter decibels (3 dB: design.md weighs 1, 2, 3 and 6 dB).</summary>
    internal int EnvelopeStepQuarterDb { get; init; } = 12;

    /// <summary>Whether the encoder measures the voice gains (false only in the first pass of a rate search, which keeps none of them).</summary>
    internal bool MeasureVoiceGain { get; init; } = true;

    /// <summary>These options with a fixed level count and no rate target.</summary>
    internal SpeechEncodeOptions WithLevels(int levels) => Copy(levels, null, Policy, MeasureVoiceGain);

    /// <summary>These options with another envelope step (quarter dB).</summary>
    internal SpeechEncodeOptions WithEnvelopeStep(int stepQuarterDb) => Copy(Levels, TargetKbps, Policy, MeasureVoiceGain, envelopeStep: stepQuarterDb);

    /// <summary>These options with or without half-frame corrections.</summary>
    internal SpeechEncodeOptions WithHalfFrames(bool halfFrames) => Copy(Levels, TargetKbps, Policy, MeasureVoiceGain, halfFrames: halfFrames);

    /// <summary>These options without envelope corrections, at a fixed level count and no rate target.</summary>
    internal SpeechEncodeOptions WithoutEnvelope(int levels) => Copy(levels, null, Policy, MeasureVoiceGain, envelope: false);

    /// <summary>The first pass of a rate search: every level, stored packed, voice gains not measured.</summary>
    internal SpeechEncodeOptions ForRateSearch() => Copy(Levels, TargetKbps, TokenCodingPolicy.Packed, measureVoiceGain: false);

    private SpeechEncodeOptions Copy(int? levels, double? targetKbps, TokenCodingPolicy policy, bool measureVoiceGain, bool? envelope = null, int? envelopeStep = null, bool? halfFrames = null) => new()
    {
        Voice = Voice,
        Envelope = envelope ?? Envelope,
        EnvelopeHalfFrames = halfFrames ?? EnvelopeHalfFrames,
        EnvelopeStepQuarterDb = envelopeStep ?? EnvelopeStepQuarterDb,
        MeasureVoiceGain = measureVoiceGain,
        Levels = levels,
        TargetKbps = targetKbps,
        Policy = policy,
        SegmentFrames = SegmentFrames,
        WindowFrames = WindowFrames,
        Metadata = Metadata,
    };
}

/// <summary>What the encoder must know about the source before the first sample: the header stores it.</summary>
/// <param name="SampleRate">Source sample rate in Hz (resampled to the model's rate internally).</param>
/// <param name="SampleCount">Source length in samples per channel (after down-mixing to mono).</param>
/// <param name="BitsPerSample">Source sample depth recorded for the decoder (8, 16, 24 or 32).</param>
public sealed record SpeechSource(int SampleRate, long SampleCount, int BitsPerSample = 16);

/// <summary>Result of encoding a signal.</summary>
public sealed record SpeechEncodeResult(long Bytes, int Levels, double Seconds)
{
    /// <summary>Total file bits per second of audio, in kbit/s.</summary>
    public double Kbps => Bytes * 8 / Seconds / 1000;
}
