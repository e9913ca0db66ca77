using VqCodec.Container.Coding;

namespace VqCodec.Container;

/// <summary>
/// Voice parameters of one speech segment (format 1.4, spec §4c): the fundamental frequency of every token
/// frame on a log scale (code 0 = unvoiced, code c = <see cref="BaseHz"/>·2^(c/<see cref="StepsPerOctave"/>) Hz)
/// and an output gain in quarter decibels. They let the decoder synthesise the voice's own harmonics and
/// level; a reader needs no model to walk or verify them.
/// </summary>
public sealed class SegmentVoice
{
    /// <summary>Pitch codes per octave (25 cents a step).</summary>
    public const int StepsPerOctave = 48;

    /// <summary>Frequency of code 0's successor's base: code c is BaseHz·2^(c/48) Hz.</summary>
    public const double BaseHz = 50;

    /// <summary>Largest gain magnitude in quarter decibels (±31.75 dB).</summary>
    public const int MaxGain = 127;

    private readonly byte[] _pitch;

    /// <summary>Voice parameters of a segment of <c>pitch.Length</c> frames.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The gain is outside ±<see cref="MaxGain"/> or there are no frames.</exception>
    public SegmentVoice(ReadOnlySpan<byte> pitch, int gainQuarterDb)
    {
        if (pitch.Length is < 1 or > VqcLimits.MaxSegmentLength)
        {
            throw new ArgumentOutOfRangeException(nameof(pitch), pitch.Length, $"a segment holds 1..{VqcLimits.MaxSegmentLength} frames");
        }

        if (gainQuarterDb is < -MaxGain or > MaxGain)
        {
            throw new ArgumentOutOfRangeException(nameof(gainQuarterDb), gainQuarterDb, $"the gain must lie within ±{MaxGain} quarter decibels");
        }

        _pitch = pitch.ToArray();
        GainQuarterDb = gainQuarterDb;
    }

    /// <summary>Pitch code per token frame of the segment (0 = unvoiced).</summary>
    public ReadOnlySpan<byte> Pitch => _pitch;

    /// <summary>Output gain in quarter decibels.</summary>
    public int GainQuarterDb { get; }

    /// <summary>
    /// The segment's spectral envelope corrections (format 1.5, spec §4d), serialized as a block of their own after
    /// this one; null when the segment has none.
    /// </summary>
    /// <exception cref="ArgumentException">The corrections cover another number of frames than the pitch track.</exception>
    public SegmentEnvelope? Envelope
    {
        get => _envelope;
        init => _envelope = value is null || value.Frames == _pitch.Length ? value
            : throw new ArgumentException($"the envelope covers {value.Frames} frames; the pitch track {_pitch.Length}", nameof(value));
    }

    private readonly SegmentEnvelope? _envelope;

    /// <summary>Output gain as a linear amplitude factor.</summary>
    public double Gain => Math.Pow(10, GainQuarterDb / 80.0);

    /// <summary>The code nearest to <paramref name="hz"/> (0 for 0 or less: unvoiced), clamped to 1..255.</summary>
    public static byte PitchCode(double hz) =>
        hz <= 0 || double.IsNaN(hz) ? (byte)0 : (byte)Math.Clamp((int)Math.Round(StepsPerOctave * Math.Log2(hz / BaseHz)), 1, 255);

    /// <summary>The frequency of <paramref name="code"/> in Hz (0 for code 0).</summary>
    public static double PitchHz(byte code) => code == 0 ? 0 : BaseHz * Math.Pow(2, code / (double)StepsPerOctave);

    /// <summary>The serialized block: the gain as a signed byte, then the range-coded pitch track (§4c).</summary>
    public byte[] Serialize()
    {
        var coder = new BinaryRangeEncoder();
        var contexts = new Contexts();
        int previous = 0;
        foreach (byte code in _pitch)
        {
            coder.Encode(ref contexts.Voiced[previous == 0 ? 0 : 1], code == 0 ? 0 : 1);
            if (code != 0)
            {
                int delta = code - previous;
                if (previous != 0 && Math.Abs(delta) <= MaxDelta)
                {
                    coder.Encode(ref contexts.Near, 0);
                    coder.Encode(ref contexts.Zero, delta == 0 ? 0 : 1);
                    if (delta != 0)
                    {
                        coder.Encode(ref contexts.Sign, delta < 0 ? 1 : 0);
                        for (int m = 1; m < MaxDelta; m++)
                        {
                            int more = Math.Abs(delta) > m ? 1 : 0;
                            coder.Encode(ref contexts.Magnitude[m - 1], more);
                            if (more == 0)
                            {
                                break;
                            }
                        }
                    }
                }
                else
                {
                    if (previous != 0)
                    {
                        coder.Encode(ref contexts.Near, 1);
                    }

                    int node = 1;
                    for (int b = 7; b >= 0; b--)
                    {
                        int bit = (code >> b) & 1;
                        coder.Encode(ref contexts.Absolute[node], bit);
                        node = (2 * node) + bit;
                    }
                }
            }

            previous = code;
        }

        byte[] coded = coder.Finish();
        var block = new byte[1 + coded.Length];
        block[0] = (byte)(sbyte)GainQuarterDb;
        coded.CopyTo(block, 1);
        return block;
    }

    /// <summary>Parses a block of a segment of <paramref name="frames"/> frames; <paramref name="offset"/> is its file offset for errors.</summary>
    /// <exception cref="VqcFormatException">The block is malformed.</exception>
    public static SegmentVoice Parse(ReadOnlySpan<byte> block, int frames, long offset)
    {
        if (block.Length < 6 || block.Length > MaxBlockBytes(frames))
        {
            throw new VqcFormatException($"voice block of {block.Length} bytes is outside 6..{MaxBlockBytes(frames)} for {frames} frames", offset);
        }

        int gain = (sbyte)block[0];
        if (gain < -MaxGain)
        {
            throw new VqcFormatException($"voice gain {gain} is outside ±{MaxGain}", offset);
        }

        var decoder = new BinaryRangeDecoder(block[1..].ToArray());
        var contexts = new Contexts();
        var pitch = new byte[frames];
        int previous = 0;
        for (int f = 0; f < frames; f++)
        {
            int code = 0;
            if (decoder.Decode(ref contexts.Voiced[previous == 0 ? 0 : 1]) == 1)
            {
                if (previous != 0 && decoder.Decode(ref contexts.Near) == 0)
                {
                    int delta = 0;
                    if (decoder.Decode(ref contexts.Zero) == 1)
                    {
                        bool negative = decoder.Decode(ref contexts.Sign) == 1;
                        int m = 1;
                        while (m < MaxDelta && decoder.Decode(ref contexts.Magnitude[m - 1]) == 1)
                        {
                            m++;
                        }

                        delta = negative ? -m : m;
                    }

                    code = previous + delta;
                }
                else
                {
                    int node = 1;
                    for (int b = 0; b < 8; b++)
                    {
                        node = (2 * node) + decoder.Decode(ref contexts.Absolute[node]);
                    }

                    code = node - 256;
                }

                if (code is < 1 or > 255)
                {
                    throw new VqcFormatException($"voice block: pitch code {code} of frame {f} is outside 1..255", offset + 1);
                }
            }

            pitch[f] = (byte)code;
            previous = code;
        }

        if (decoder.Overrun > 0)
        {
            throw new VqcFormatException("voice block: the pitch data is truncated", offset + 1);
        }

        return new SegmentVoice(pitch, gain);
    }

    /// <summary>
    /// The longest block of a segment of <paramref name="frames"/> frames (spec §4c): a frame codes at most 11 binary
    /// decisions, each of which costs at most 7 bits at the coder's smallest probability, plus the gain byte and the coder's
    /// 5 closing bytes.
    /// </summary>
    public static int MaxBlockBytes(int frames) => 16 + (10 * frames);

    /// <summary>Largest pitch step coded relative to the previous frame; larger jumps are coded absolutely.</summary>
    private const int MaxDelta = 8;

    /// <summary>The adaptive contexts of one block, each starting at probability 1/2.</summary>
    private sealed class Contexts
    {
        public readonly ushort[] Voiced = [BinaryRangeEncoder.Half, BinaryRangeEncoder.Half];
        public readonly ushort[] Magnitude = Enumerable.Repeat(BinaryRangeEncoder.Half, MaxDelta - 1).ToArray();
        public readonly ushort[] Absolute = Enumerable.Repeat(BinaryRangeEncoder.Half, 256).ToArray();
        public ushort Near = BinaryRangeEncoder.Half;
        public ushort Zero = BinaryRangeEncoder.Half;
        public ushort Sign = BinaryRangeEncoder.Half;
    }
}
