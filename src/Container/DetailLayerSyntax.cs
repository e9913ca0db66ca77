using VqCodec.Container.Coding;

namespace VqCodec.Container;

/// <summary>
/// The block syntax of a <c>DETL</c> payload (spec/container.md §4a), shared by <see cref="DetailPayloadWriter"/>
/// and <see cref="DetailPayloadReader"/>: blocks of 8×8 quantized DCT levels in zigzag order, visited one row of
/// blocks at a time, Y then Cb then Cr, left to right; each coded with adaptive binary contexts (one set for
/// luma, one shared by both chroma components) that depend on whether the block's left and above neighbours
/// of the same component were coded.
/// </summary>
/// <remarks>
/// Per block: a coded flag (context: coded left and above neighbours); when coded, the zigzag index of the
/// last non-zero level as 6 bits down a binary tree of contexts; then for each index up to it a significance
/// flag (except at the last; context: index and the number of non-zero levels among the two before it), and
/// for non-zero levels a greater-than-one flag (context: frequency band and levels above one so far), a
/// greater-than-two flag (context: band), the rest as an order-0 Exp-Golomb code in bypass bits, and the sign
/// as a bypass bit.
/// </remarks>
public static class DetailLayerSyntax
{
    /// <summary>Side of a transform block in pixels.</summary>
    public const int BlockSize = 8;

    /// <summary>Levels per block.</summary>
    public const int Coefficients = BlockSize * BlockSize;

    /// <summary>Colour components, in coding order (Y, Cb, Cr).</summary>
    public const int Components = 3;

    /// <summary>Longest Exp-Golomb prefix a reader accepts (levels up to about 2^21).</summary>
    internal const int MaxEscapePrefix = 20;

    private static readonly int[] ZigzagOrder = BuildZigzag();

    /// <summary>JPEG zigzag order: <c>Zigzag[k]</c> is the row-major index of the k-th coded level.</summary>
    public static ReadOnlySpan<int> Zigzag => ZigzagOrder;

    /// <summary>Blocks across and down an image of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public static (int Across, int Down) BlockCounts(int width, int height) => ((width + BlockSize - 1) / BlockSize, (height + BlockSize - 1) / BlockSize);

    internal static int SignificanceContext(ReadOnlySpan<int> levels, int k) =>
        (k * 3) + (k > 0 && levels[k - 1] != 0 ? 1 : 0) + (k > 1 && levels[k - 2] != 0 ? 1 : 0);

    internal static int Band(int k) => k < 3 ? 0 : k < 10 ? 1 : 2;

    private static int[] BuildZigzag()
    {
        var order = new int[Coefficients];
        int i = 0;
        for (int s = 0; s < (2 * BlockSize) - 1; s++)
        {
            int lo = Math.Max(0, s - (BlockSize - 1)), hi = Math.Min(s, BlockSize - 1);
            for (int j = 0; j <= hi - lo; j++)
            {
                int y = s % 2 == 0 ? hi - j : lo + j;
                order[i++] = (y * BlockSize) + (s - y);
            }
        }

        return order;
    }
}

/// <summary>
/// Where the syntax walk stands: the adaptive contexts and which blocks of the row above (and to the left) were
/// coded. One instance per writer or reader; blocks are visited in the order of <see cref="DetailLayerSyntax"/>.
/// </summary>
internal sealed class DetailBlockWalk
{
    private readonly Contexts[] _contexts = [new(), new()];
    private readonly bool[][] _coded;
    private readonly int _across;
    private int _component;
    private int _column;

    public DetailBlockWalk(int blocksAcross)
    {
        _across = blocksAcross;
        _coded = [new bool[blocksAcross], new bool[blocksAcross], new bool[blocksAcross]];
    }

    /// <summary>Component (0 = Y) of the next block.</summary>
    public int Component => _component;

    /// <summary>Contexts of the next block's component class.</summary>
    public Contexts Current => _contexts[_component == 0 ? 0 : 1];

    /// <summary>Coded left and above neighbours (0–2) of the next block.</summary>
    public int Neighbours => (_column > 0 && _coded[_component][_column - 1] ? 1 : 0) + (_coded[_component][_column] ? 1 : 0);

    /// <summary>Records whether the block just visited was coded and moves to the next.</summary>
    public void Advance(bool coded)
    {
        _coded[_component][_column] = coded;
        if (++_column == _across)
        {
            _column = 0;
            _component = (_component + 1) % DetailLayerSyntax.Components;
        }
    }

    /// <summary>Codes (or prices) one block's levels (zigzag order) ending at <paramref name="last"/> (−1: not coded).</summary>
    public static void Encode<TSink>(ref TSink e, Contexts ctx, ReadOnlySpan<int> levels, int last, int neighbours)
        where TSink : struct, IBitSink
    {
        e.Encode(ref ctx.Coded[neighbours], last >= 0 ? 1 : 0);
        if (last < 0)
        {
            return;
        }

        for (int b = 5, node = 1; b >= 0; b--)
        {
            int bit = (last >> b) & 1;
            e.Encode(ref ctx.Last[node], bit);
            node = (node * 2) + bit;
        }

        int aboveOne = 0;
        for (int k = 0; k <= last; k++)
        {
            int m = Math.Abs(levels[k]);
            if (k < last)
            {
                e.Encode(ref ctx.Significant[DetailLayerSyntax.SignificanceContext(levels, k)], m != 0 ? 1 : 0);
            }

            if (m == 0)
            {
                continue;
            }

            int band = DetailLayerSyntax.Band(k);
            e.Encode(ref ctx.AboveOne[(band * 3) + Math.Min(aboveOne, 2)], m > 1 ? 1 : 0);
            if (m > 1)
            {
                aboveOne++;
                e.Encode(ref ctx.AboveTwo[band], m > 2 ? 1 : 0);
                if (m > 2)
                {
                    int value = m - 3 + 1, bits = 31 - int.LeadingZeroCount(value);
                    for (int i = 0; i < bits; i++)
                    {
                        e.EncodeBypass(1);
                    }

                    e.EncodeBypass(0);
                    for (int i = bits - 1; i >= 0; i--)
                    {
                        e.EncodeBypass((value >> i) & 1);
                    }
                }
            }

            e.EncodeBypass(levels[k] < 0 ? 1 : 0);
        }
    }

    /// <summary>Where <see cref="Encode"/> puts its bits: the range coder, or a bit count for the encoder's choices.</summary>
    internal interface IBitSink
    {
        void Encode(ref ushort probability, int bit);

        void EncodeBypass(int bit);
    }

    /// <summary>Adaptive probabilities of one component class (luma, or both chroma components).</summary>
    internal sealed class Contexts
    {
        public readonly ushort[] Coded = New(3);
        public readonly ushort[] Last = New(64);
        public readonly ushort[] Significant = New(64 * 3);
        public readonly ushort[] AboveOne = New(3 * 3);
        public readonly ushort[] AboveTwo = New(3);

        private static ushort[] New(int n)
        {
            var p = new ushort[n];
            Array.Fill(p, BinaryRangeEncoder.Half);
            return p;
        }
    }
}

/// <summary>
/// Writes a <c>DETL</c> payload: the header, then every block in syntax order (<see cref="DetailLayerSyntax"/>).
/// The encoder's rate-distortion choices price candidate blocks with <see cref="BlockBits"/>, which uses the
/// same adaptive probabilities the block would be coded with.
/// </summary>
public sealed class DetailPayloadWriter
{
    /// <summary>BitCosts[p] = −log2(p / 2^ProbabilityBits).</summary>
    private static readonly double[] BitCosts = [.. Enumerable.Range(0, (1 << BinaryRangeEncoder.ProbabilityBits) + 1).Select(p => p == 0 ? 32 : -Math.Log2(p / (double)(1 << BinaryRangeEncoder.ProbabilityBits)))];

    private readonly BinaryRangeEncoder _encoder = new();
    private readonly DetailLayerHeader _header;
    private readonly DetailBlockWalk _walk;
    private readonly long _blocks;
    private long _written;

    /// <summary>Starts a payload for an image of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public DetailPayloadWriter(DetailLayerHeader header, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        (int across, int down) = DetailLayerSyntax.BlockCounts(width, height);
        _header = header;
        _walk = new DetailBlockWalk(across);
        _blocks = (long)across * down * DetailLayerSyntax.Components;
    }

    /// <summary>Component (0 = Y, 1 = Cb, 2 = Cr) of the next block.</summary>
    public int Component => _walk.Component;

    /// <summary>Bits the next block would cost with these levels (zigzag order) ending at <paramref name="last"/> (−1: not coded); changes nothing.</summary>
    public double BlockBits(ReadOnlySpan<int> levels, int last)
    {
        var sink = new CostSink();
        DetailBlockWalk.Encode(ref sink, _walk.Current, levels, last, _walk.Neighbours);
        return sink.Bits;
    }

    /// <summary>Codes the next block: levels in zigzag order, every one after <paramref name="last"/> zero (−1: the block is not coded).</summary>
    /// <exception cref="InvalidOperationException">Every block has been written.</exception>
    /// <exception cref="ArgumentException">A level after <paramref name="last"/> is not zero, or the level at it is.</exception>
    public void WriteBlock(ReadOnlySpan<int> levels, int last)
    {
        if (_written == _blocks)
        {
            throw new InvalidOperationException("every block of the detail layer has been written");
        }

        if (last >= DetailLayerSyntax.Coefficients || levels.Length < DetailLayerSyntax.Coefficients || (last >= 0 && levels[last] == 0))
        {
            throw new ArgumentException("a block's last index must hold a non-zero level", nameof(last));
        }

        var sink = new RangeSink(_encoder);
        DetailBlockWalk.Encode(ref sink, _walk.Current, levels, last, _walk.Neighbours);
        _walk.Advance(last >= 0);
        _written++;
    }

    /// <summary>The payload: header and range-coded blocks.</summary>
    /// <exception cref="InvalidOperationException">Not every block has been written.</exception>
    public byte[] ToPayload()
    {
        if (_written != _blocks)
        {
            throw new InvalidOperationException($"{_blocks - _written} blocks of the detail layer are not written");
        }

        byte[] coded = _encoder.Finish();
        var payload = new byte[DetailLayerHeader.Size + coded.Length];
        _header.Write(payload);
        coded.CopyTo(payload, DetailLayerHeader.Size);
        return payload;
    }

    private readonly struct RangeSink(BinaryRangeEncoder encoder) : DetailBlockWalk.IBitSink
    {
        public void Encode(ref ushort probability, int bit) => encoder.Encode(ref probability, bit);

        public void EncodeBypass(int bit) => encoder.EncodeBypass(bit);
    }

    private struct CostSink : DetailBlockWalk.IBitSink
    {
        public double Bits;

        public void Encode(ref ushort probability, int bit) => Bits += BitCosts[bit == 0 ? probability : (1 << BinaryRangeEncoder.ProbabilityBits) - probability];

        public void EncodeBypass(int bit) => Bits += 1;
    }
}

/// <summary>
/// Reads a <c>DETL</c> payload block by block in syntax order (<see cref="DetailLayerSyntax"/>); every error is a
/// <see cref="VqcFormatException"/>. <see cref="Validate"/> walks a whole payload without pixels (<c>vqc verify</c>).
/// </summary>
public sealed class DetailPayloadReader
{
    private readonly BinaryRangeDecoder _decoder;
    private readonly DetailBlockWalk _walk;
    private readonly long _offset;
    private readonly long _blocks;
    private long _read;

    /// <summary>Reads the header of <paramref name="payload"/> for an image of <paramref name="width"/> × <paramref name="height"/> pixels; <paramref name="offset"/> locates the payload in its file for errors.</summary>
    /// <exception cref="VqcFormatException">The header is malformed or the payload too short to hold the coder's state.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public DetailPayloadReader(byte[] payload, int width, int height, long offset = 0)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        Header = DetailLayerHeader.Read(payload, offset);
        if (payload.Length < DetailLayerHeader.Size + 5)
        {
            throw new VqcFormatException("detail layer is too short", offset);
        }

        (int across, int down) = DetailLayerSyntax.BlockCounts(width, height);
        _decoder = new BinaryRangeDecoder(payload[DetailLayerHeader.Size..]);
        _walk = new DetailBlockWalk(across);
        _blocks = (long)across * down * DetailLayerSyntax.Components;
        _offset = offset;
    }

    /// <summary>The payload's header.</summary>
    public DetailLayerHeader Header { get; }

    /// <summary>Component (0 = Y, 1 = Cb, 2 = Cr) of the next block.</summary>
    public int Component => _walk.Component;

    /// <summary>Reads the next block's levels (zigzag order) into <paramref name="levels"/> (cleared first); false when the block is not coded.</summary>
    /// <exception cref="VqcFormatException">A level is oversized, or the coder ran past the payload's end.</exception>
    /// <exception cref="InvalidOperationException">Every block has been read.</exception>
    public bool ReadBlock(Span<int> levels)
    {
        if (_read == _blocks)
        {
            throw new InvalidOperationException("every block of the detail layer has been read");
        }

        levels[..DetailLayerSyntax.Coefficients].Clear();
        bool coded = Decode(levels);
        _walk.Advance(coded);
        _read++;
        if (_decoder.Overrun > 0)
        {
            throw new VqcFormatException("detail layer is truncated or corrupt", _offset);
        }

        return coded;
    }

    /// <summary>Walks every block of a payload for an image of <paramref name="width"/> × <paramref name="height"/> pixels; throws where it is malformed.</summary>
    /// <exception cref="VqcFormatException">The payload is malformed.</exception>
    public static void Validate(byte[] payload, int width, int height, long offset = 0)
    {
        var reader = new DetailPayloadReader(payload, width, height, offset);
        Span<int> levels = stackalloc int[DetailLayerSyntax.Coefficients];
        while (reader._read < reader._blocks)
        {
            reader.ReadBlock(levels);
        }
    }

    private bool Decode(Span<int> levels)
    {
        DetailBlockWalk.Contexts ctx = _walk.Current;
        BinaryRangeDecoder d = _decoder;
        if (d.Decode(ref ctx.Coded[_walk.Neighbours]) == 0)
        {
            return false;
        }

        int last = 0;
        for (int b = 5, node = 1; b >= 0; b--)
        {
            int bit = d.Decode(ref ctx.Last[node]);
            node = (node * 2) + bit;
            last = (last << 1) | bit;
        }

        int aboveOne = 0;
        for (int k = 0; k <= last; k++)
        {
            if (k < last && d.Decode(ref ctx.Significant[DetailLayerSyntax.SignificanceContext(levels, k)]) == 0)
            {
                continue;
            }

            int band = DetailLayerSyntax.Band(k), m = 1;
            if (d.Decode(ref ctx.AboveOne[(band * 3) + Math.Min(aboveOne, 2)]) == 1)
            {
                aboveOne++;
                m = 2;
                if (d.Decode(ref ctx.AboveTwo[band]) == 1)
                {
                    int bits = 0;
                    while (d.DecodeBypass() == 1)
                    {
                        if (++bits > DetailLayerSyntax.MaxEscapePrefix)
                        {
                            throw new VqcFormatException("detail layer holds an oversized coefficient", _offset);
                        }
                    }

                    int value = 1;
                    for (int i = 0; i < bits; i++)
                    {
                        value = (value << 1) | d.DecodeBypass();
                    }

                    m = value - 1 + 3;
                }
            }

            levels[k] = d.DecodeBypass() == 1 ? -m : m;
        }

        return true;
    }
}
