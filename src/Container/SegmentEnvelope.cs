using VqCodec.Container.Coding;

namespace VqCodec.Container;

/// <summary>
/// Spectral envelope corrections of one speech segment (formats 1.5 to 1.7, spec §4d): for every token frame (or, format
/// 1.7, every half token frame), either nothing or a correction of each of <see cref="Bands"/> frequency bands in multiples
/// of a step in quarter decibels, which the decoder applies to its output's spectrum. They carry what the tokens lose of the band energies over time. A reader
/// needs no model to walk or verify them.
/// </summary>
public sealed class SegmentEnvelope
{
    /// <summary>Bands per frame (their edges are in spec §4d).</summary>
    public const int Bands = 20;

    /// <summary>Largest correction magnitude in steps.</summary>
    public const int MaxValue = 15;

    /// <summary>Smallest and largest step in quarter decibels (0.25 to 12 dB).</summary>
    public const int MinStep = 1;

    /// <inheritdoc cref="MinStep"/>
    public const int MaxStep = 48;

    private readonly sbyte[] _values;

    /// <summary>Format 1.5 corrections (applied before the synthesis) of <paramref name="frames"/> frames; see the other constructor.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A step, frame count or value out of range, or values that do not cover the frames.</exception>
    public SegmentEnvelope(int frames, int stepQuarterDb, ReadOnlySpan<sbyte> values)
        : this(frames, stepQuarterDb, values, afterSynthesis: false)
    {
    }

    /// <summary>
    /// Corrections of <paramref name="frames"/> frames: <paramref name="values"/> holds frame-major rows of
    /// <see cref="Bands"/> values in steps. <paramref name="afterSynthesis"/> marks format 1.6 corrections, which the
    /// decoder applies to its synthesised output (spec §4d); otherwise they are format 1.5's, applied to the network's
    /// spectrum before the synthesis.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A step, frame count or value out of range, or values that do not cover the frames.</exception>
    public SegmentEnvelope(int frames, int stepQuarterDb, ReadOnlySpan<sbyte> values, bool afterSynthesis)
        : this(frames, stepQuarterDb, values, afterSynthesis, subFrames: 1)
    {
    }

    /// <summary>
    /// Corrections of <paramref name="frames"/> token frames with <paramref name="subFrames"/> corrections each (1, or 2 for
    /// format 1.7's half-frame corrections, which need <paramref name="afterSynthesis"/>): <paramref name="values"/> holds
    /// frames × subFrames rows of <see cref="Bands"/> values in steps, in time order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A step, frame count, sub-frame count or value out of range, or values that do not cover the frames.</exception>
    public SegmentEnvelope(int frames, int stepQuarterDb, ReadOnlySpan<sbyte> values, bool afterSynthesis, int subFrames)
    {
        if (subFrames is < 1 or > MaxSubFrames || (subFrames > 1 && !afterSynthesis))
        {
            throw new ArgumentOutOfRangeException(nameof(subFrames), subFrames, $"1..{MaxSubFrames} corrections per frame, more than one only after the synthesis");
        }

        if (frames is < 1 or > VqcLimits.MaxSegmentLength)
        {
            throw new ArgumentOutOfRangeException(nameof(frames), frames, $"a segment holds 1..{VqcLimits.MaxSegmentLength} frames");
        }

        if (stepQuarterDb is < MinStep or > MaxStep)
        {
            throw new ArgumentOutOfRangeException(nameof(stepQuarterDb), stepQuarterDb, $"the step must lie within {MinStep}..{MaxStep} quarter decibels");
        }

        if (values.Length != frames * subFrames * Bands)
        {
            throw new ArgumentOutOfRangeException(nameof(values), values.Length, $"{frames} frames need {frames * subFrames * Bands} values");
        }

        foreach (sbyte v in values)
        {
            if (v is < -MaxValue or > MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(values), v, $"a correction must lie within ±{MaxValue} steps");
            }
        }

        Frames = frames;
        StepQuarterDb = stepQuarterDb;
        AfterSynthesis = afterSynthesis;
        SubFrames = subFrames;
        _values = values.ToArray();
    }

    /// <summary>Most corrections per token frame (format 1.7: two, one per 10 ms half at 50 token frames per second).</summary>
    public const int MaxSubFrames = 2;

    /// <summary>Bit of the step byte that marks format 1.7's two corrections per token frame (with <see cref="AfterSynthesisFlag"/>).</summary>
    public const byte SubFramesFlag = 0x40;

    /// <summary>Corrections per token frame: 1, or 2 (format 1.7) for one per half frame.</summary>
    public int SubFrames { get; }

    /// <summary>Correction rows: <see cref="Frames"/> × <see cref="SubFrames"/>.</summary>
    public int CorrectionFrames => Frames * SubFrames;

    /// <summary>Bit of the step byte that marks format 1.6 corrections (applied after the synthesis).</summary>
    public const byte AfterSynthesisFlag = 0x80;

    /// <summary>Token frames covered.</summary>
    public int Frames { get; }

    /// <summary>The step of the corrections in quarter decibels.</summary>
    public int StepQuarterDb { get; }

    /// <summary>True for format 1.6 corrections, which apply to the decoder's synthesised output (spec §4d).</summary>
    public bool AfterSynthesis { get; }

    /// <summary>The corrections of correction row <paramref name="frame"/> (token frame frame / <see cref="SubFrames"/>), one per band, in steps.</summary>
    public ReadOnlySpan<sbyte> Frame(int frame) => _values.AsSpan(frame * Bands, Bands);

    /// <summary>The correction of <paramref name="band"/> in correction row <paramref name="frame"/> in decibels.</summary>
    public double Decibels(int frame, int band) => _values[(frame * Bands) + band] * StepQuarterDb / 4.0;

    /// <summary>The serialized block: the step byte (with <see cref="AfterSynthesisFlag"/> for format 1.6), then the range-coded corrections (§4d).</summary>
    public byte[] Serialize()
    {
        var coder = new BinaryRangeEncoder();
        var contexts = new Contexts();
        var previous = new sbyte[Bands];
        bool previousActive = false;
        for (int f = 0; f < CorrectionFrames; f++)
        {
            ReadOnlySpan<sbyte> row = Frame(f);
            bool active = row.ContainsAnyExcept((sbyte)0);
            coder.Encode(ref contexts.Active[previousActive ? 1 : 0], active ? 1 : 0);
            if (active)
            {
                for (int b = 0; b < Bands; b++)
                {
                    int v = row[b];
                    coder.Encode(ref contexts.Nonzero[Contexts.NonzeroContext(previous[b], b > 0 ? row[b - 1] : 0)], v == 0 ? 0 : 1);
                    if (v == 0)
                    {
                        continue;
                    }

                    coder.Encode(ref contexts.Sign[Math.Sign(previous[b]) + 1], v < 0 ? 1 : 0);
                    int m = Math.Abs(v);
                    for (int i = 1; i < MaxValue; i++)
                    {
                        int more = m > i ? 1 : 0;
                        coder.Encode(ref contexts.More[Contexts.MoreContext(i, previous[b])], more);
                        if (more == 0)
                        {
                            break;
                        }
                    }
                }

                row.CopyTo(previous);
            }
            else
            {
                Array.Clear(previous);
            }

            previousActive = active;
        }

        byte[] coded = coder.Finish();
        var block = new byte[1 + coded.Length];
        block[0] = (byte)(StepQuarterDb | (AfterSynthesis ? AfterSynthesisFlag : 0) | (SubFrames > 1 ? SubFramesFlag : 0));
        coded.CopyTo(block, 1);
        return block;
    }

    /// <summary>Parses a block of a segment of <paramref name="frames"/> frames; <paramref name="offset"/> is its file offset for errors.</summary>
    /// <exception cref="VqcFormatException">The block is malformed.</exception>
    public static SegmentEnvelope Parse(ReadOnlySpan<byte> block, int frames, long offset)
    {
        if (block.Length < 6 || block.Length > MaxBlockBytes(frames * MaxSubFrames))
        {
            throw new VqcFormatException($"envelope block of {block.Length} bytes is outside 6..{MaxBlockBytes(frames * MaxSubFrames)} for {frames} frames", offset);
        }

        int step = block[0] & ~(AfterSynthesisFlag | SubFramesFlag);
        bool afterSynthesis = (block[0] & AfterSynthesisFlag) != 0;
        int subFrames = (block[0] & SubFramesFlag) != 0 ? 2 : 1;
        if (step is < MinStep or > MaxStep)
        {
            throw new VqcFormatException($"envelope step {step} is outside {MinStep}..{MaxStep} quarter decibels", offset);
        }

        if (subFrames > 1 && !afterSynthesis)
        {
            throw new VqcFormatException("envelope block: half-frame corrections (format 1.7) are defined only after the synthesis", offset);
        }

        if (block.Length > MaxBlockBytes(frames * subFrames))
        {
            throw new VqcFormatException($"envelope block of {block.Length} bytes is over {MaxBlockBytes(frames * subFrames)} for {frames} frames", offset);
        }

        var decoder = new BinaryRangeDecoder(block[1..].ToArray());
        var contexts = new Contexts();
        var values = new sbyte[frames * subFrames * Bands];
        var previous = new sbyte[Bands];
        bool previousActive = false;
        for (int f = 0; f < frames * subFrames; f++)
        {
            bool active = decoder.Decode(ref contexts.Active[previousActive ? 1 : 0]) == 1;
            Span<sbyte> row = values.AsSpan(f * Bands, Bands);
            if (active)
            {
                for (int b = 0; b < Bands; b++)
                {
                    if (decoder.Decode(ref contexts.Nonzero[Contexts.NonzeroContext(previous[b], b > 0 ? row[b - 1] : 0)]) == 0)
                    {
                        continue;
                    }

                    bool negative = decoder.Decode(ref contexts.Sign[Math.Sign(previous[b]) + 1]) == 1;
                    int m = 1;
                    while (m < MaxValue && decoder.Decode(ref contexts.More[Contexts.MoreContext(m, previous[b])]) == 1)
                    {
                        m++;
                    }

                    row[b] = (sbyte)(negative ? -m : m);
                }

                row.CopyTo(previous);
            }
            else
            {
                Array.Clear(previous);
            }

            previousActive = active;
        }

        if (decoder.Overrun > 0)
        {
            throw new VqcFormatException("envelope block: the data is truncated", offset + 1);
        }

        return new SegmentEnvelope(frames, step, values, afterSynthesis, subFrames);
    }

    /// <summary>
    /// The longest block of <paramref name="frames"/> correction rows (spec §4d; a token frame holds one, or two in format
    /// 1.7): a row codes at most
    /// 1 + 20 × 16 = 321 binary decisions of at most 7 bits each, plus the step byte and the coder's 5 closing bytes.
    /// </summary>
    public static int MaxBlockBytes(int frames) => 8 + (281 * frames);

    /// <summary>The adaptive contexts of one block, each starting at probability 1/2.</summary>
    private sealed class Contexts
    {
        public readonly ushort[] Active = [BinaryRangeEncoder.Half, BinaryRangeEncoder.Half];
        public readonly ushort[] Nonzero = Enumerable.Repeat(BinaryRangeEncoder.Half, 6).ToArray();
        public readonly ushort[] Sign = Enumerable.Repeat(BinaryRangeEncoder.Half, 3).ToArray();
        public readonly ushort[] More = Enumerable.Repeat(BinaryRangeEncoder.Half, 6).ToArray();

        /// <summary>|previous frame's value| (0, 1, 2 or more) × whether the band below in this frame is non-zero (6 contexts).</summary>
        public static int NonzeroContext(int previous, int below) => (Math.Min(Math.Abs(previous), 2) * 2) + (below != 0 ? 1 : 0);

        /// <summary>The magnitude bit's position (1, 2, 3 or more) × whether the previous frame's magnitude was 2 or more (6 contexts).</summary>
        public static int MoreContext(int position, int previous) => Math.Min(position, 3) - 1 + (Math.Abs(previous) >= 2 ? 3 : 0);
    }
}
