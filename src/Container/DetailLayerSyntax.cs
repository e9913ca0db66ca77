using VqCodec.Container.Coding;

namespace VqCodec.Container;

/// <summary>
/// The block syntax of a <c>DETL</c> payload (spec/container.md §4a), shared by <see cref="DetailPayloadWriter"/>
/// and <see cref="DetailPayloadReader"/>. The image is cut into macroblocks (8×8 in syntax version 1, 16×16 in
/// version 2), visited one row of macroblocks at a time, Y then Cb then Cr, left to right. In version 1 a
/// macroblock is one 8×8 block; in version 2 a size flag chooses one 16×16 block or four 8×8 blocks (top left,
/// top right, bottom left, bottom right). Blocks hold quantized DCT levels in zigzag order, coded with adaptive
/// binary contexts (one set for luma, one shared by both chroma components, each with separate contexts for
/// 8×8 and 16×16 blocks) that depend on whether the block's left and above neighbours were coded.
/// </summary>
/// <remarks>
/// Per block: a coded flag (context: coded left and above neighbours); when coded, the zigzag index of the
/// last non-zero level down a binary tree of contexts (6 bits for 8×8, 8 for 16×16); then for each index up to
/// it a significance flag (except at the last; context: index class and the number of non-zero levels among the
/// two before it), and for non-zero levels a greater-than-one flag (context: frequency band and levels above
/// one so far), a greater-than-two flag (context: band), the rest as an order-0 Exp-Golomb code in bypass bits,
/// and the sign as a bypass bit.
/// </remarks>
public static class DetailLayerSyntax
{
    /// <summary>Side of the small transform block in pixels (every version).</summary>
    public const int BlockSize = 8;

    /// <summary>Levels per small block.</summary>
    public const int Coefficients = BlockSize * BlockSize;

    /// <summary>Side of the large transform block in pixels (syntax version 2).</summary>
    public const int LargeBlockSize = 16;

    /// <summary>Levels per large block: the most any block holds.</summary>
    public const int LargeCoefficients = LargeBlockSize * LargeBlockSize;

    /// <summary>Colour components, in coding order (Y, Cb, Cr).</summary>
    public const int Components = 3;

    /// <summary>Longest Exp-Golomb prefix a reader accepts (levels up to about 2^21).</summary>
    internal const int MaxEscapePrefix = 20;

    private static readonly int[] ZigzagOrder = BuildZigzag(BlockSize);
    private static readonly int[] LargeZigzagOrder = BuildZigzag(LargeBlockSize);

    /// <summary>JPEG zigzag order of an 8×8 block: <c>Zigzag[k]</c> is the row-major index of the k-th coded level.</summary>
    public static ReadOnlySpan<int> Zigzag => ZigzagOrder;

    /// <summary>The same order for a 16×16 block (row-major indices 0..255).</summary>
    public static ReadOnlySpan<int> LargeZigzag => LargeZigzagOrder;

    /// <summary>The zigzag order of a block of side <paramref name="side"/> (8: <see cref="Zigzag"/>, 16: <see cref="LargeZigzag"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a block side of the syntax.</exception>
    public static ReadOnlySpan<int> ZigzagOf(int side) => side switch
    {
        BlockSize => ZigzagOrder,
        LargeBlockSize => LargeZigzagOrder,
        _ => throw new ArgumentOutOfRangeException(nameof(side), side, "not a detail layer block side"),
    };

    /// <summary>Side of a macroblock in pixels for a syntax version (8 in version 1, 16 in version 2).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a version this library reads.</exception>
    public static int MacroblockSize(byte version) => version switch
    {
        1 => BlockSize,
        2 => LargeBlockSize,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "not a detail layer syntax version"),
    };

    /// <summary>Macroblocks across and down an image of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public static (int Across, int Down) MacroblockCounts(byte version, int width, int height)
    {
        int m = MacroblockSize(version);
        return ((width + m - 1) / m, (height + m - 1) / m);
    }

    /// <summary>Significance context of index <paramref name="k"/>: its class times 3 plus the non-zero levels among the two before it.</summary>
    internal static int SignificanceContext(ReadOnlySpan<int> levels, int k, bool large) =>
        ((large ? Math.Min(k < 32 ? k : 32 + ((k - 32) >> 4), 45) : k) * 3) + (k > 0 && levels[k - 1] != 0 ? 1 : 0) + (k > 1 && levels[k - 2] != 0 ? 1 : 0);

    internal static int Band(int k, bool large) => large ? (k < 6 ? 0 : k < 36 ? 1 : 2) : (k < 3 ? 0 : k < 10 ? 1 : 2);

    private static int[] BuildZigzag(int n)
    {
        var order = new int[n * n];
        int i = 0;
        for (int s = 0; s < (2 * n) - 1; s++)
        {
            int lo = Math.Max(0, s - (n - 1)), hi = Math.Min(s, n - 1);
            for (int j = 0; j <= hi - lo; j++)
            {
                int y = s % 2 == 0 ? hi - j : lo + j;
                order[i++] = (y * n) + (s - y);
            }
        }

        return order;
    }
}

/// <summary>
/// Where the syntax walk stands: the adaptive contexts, the next macroblock and block, and which blocks (and
/// large macroblocks) to the left and above were coded. One instance per writer or reader; macroblocks and
/// blocks are visited in the order of <see cref="DetailLayerSyntax"/>.
/// </summary>
internal sealed class DetailBlockWalk
{
    /// <summary>BitCosts[p] = −log2(p / 2^ProbabilityBits).</summary>
    private static readonly double[] BitCosts = [.. Enumerable.Range(0, (1 << BinaryRangeEncoder.ProbabilityBits) + 1).Select(p => p == 0 ? 32 : -Math.Log2(p / (double)(1 << BinaryRangeEncoder.ProbabilityBits)))];

    /// <summary>Phase of a version-2 macroblock before its size flag.</summary>
    private const int AtFlag = -1;

    /// <summary>Phase of the one large block of a macroblock.</summary>
    private const int Large = 4;

    private readonly Contexts[] _contexts = [new(), new()];
    private readonly int _subPerSide;
    private readonly int _across;
    private readonly int _down;
    private readonly bool[][][] _coded;
    private readonly bool[][] _codedAbove;
    private readonly bool[][] _large;
    private readonly bool[][] _largeAbove;
    private int _row;
    private int _component;
    private int _column;
    private int _phase;

    public DetailBlockWalk(byte version, int width, int height)
    {
        _subPerSide = DetailLayerSyntax.MacroblockSize(version) / DetailLayerSyntax.BlockSize;
        (_across, _down) = DetailLayerSyntax.MacroblockCounts(version, width, height);
        int columns = _across * _subPerSide;
        _coded = [.. Enumerable.Range(0, DetailLayerSyntax.Components).Select(_ => Enumerable.Range(0, _subPerSide).Select(_ => new bool[columns]).ToArray())];
        _codedAbove = [new bool[columns], new bool[columns], new bool[columns]];
        _large = [new bool[_across], new bool[_across], new bool[_across]];
        _largeAbove = [new bool[_across], new bool[_across], new bool[_across]];
        _phase = HasSizeFlags ? AtFlag : 0;
    }

    /// <summary>Whether macroblocks start with a size flag (version 2: more than one 8×8 block per side).</summary>
    private bool HasSizeFlags => _subPerSide > 1;

    /// <summary>Component (0 = Y) of the next macroblock or block.</summary>
    public int Component => _component;

    /// <summary>True when every macroblock has been visited.</summary>
    public bool Done => _row == _down;

    /// <summary>True when the next symbol is a macroblock's size flag (syntax version 2).</summary>
    public bool AtSizeFlag => _phase == AtFlag && !Done;

    /// <summary>True when the next block is a large (16×16) one.</summary>
    public bool NextIsLarge => _phase == Large;

    /// <summary>Contexts of the next block's component class.</summary>
    public Contexts Current => _contexts[_component == 0 ? 0 : 1];

    /// <summary>Context of the next size flag: large macroblocks to the left and above (0–2).</summary>
    public int SizeNeighbours => (_column > 0 && _large[_component][_column - 1] ? 1 : 0) + (_largeAbove[_component][_column] ? 1 : 0);

    /// <summary>Coded left and above neighbours (0–2) of the next block (at a size flag: of the macroblock's top-left block).</summary>
    public int Neighbours
    {
        get
        {
            int sub = _phase is AtFlag or Large ? 0 : _phase;
            int r = sub / 2, col = (_column * _subPerSide) + (sub % 2);
            bool left = col > 0 && _coded[_component][r][col - 1];
            bool above = r > 0 ? _coded[_component][r - 1][col] : _codedAbove[_component][col];
            return (left ? 1 : 0) + (above ? 1 : 0);
        }
    }

    /// <summary>Records the size chosen at the flag and moves to the macroblock's first block.</summary>
    public void SetSize(bool large)
    {
        _large[_component][_column] = large;
        _phase = large ? Large : 0;
    }

    /// <summary>Records whether the block just visited was coded and moves to the next block or macroblock.</summary>
    public void Advance(bool coded)
    {
        int c = _component, first = _column * _subPerSide;
        if (_phase == Large)
        {
            for (int r = 0; r < _subPerSide; r++)
            {
                _coded[c][r][first] = _coded[c][r][first + 1] = coded;
            }
        }
        else
        {
            _coded[c][_phase / 2][first + (_phase % 2)] = coded;
            if (_subPerSide > 1 && _phase < 3)
            {
                _phase++;
                return;
            }
        }

        _phase = HasSizeFlags ? AtFlag : 0;
        if (++_column < _across)
        {
            return;
        }

        // The component's row of macroblocks is done: its bottom row of blocks and its sizes are the next row's "above".
        _column = 0;
        _coded[c][_subPerSide - 1].CopyTo(_codedAbove[c], 0);
        _large[c].CopyTo(_largeAbove[c], 0);
        if (++_component == DetailLayerSyntax.Components)
        {
            _component = 0;
            _row++;
        }
    }

    /// <summary>Codes (or prices) one block's levels (zigzag order) ending at <paramref name="last"/> (−1: not coded).</summary>
    public static void Encode<TSink>(ref TSink e, BlockContexts ctx, ReadOnlySpan<int> levels, int last, int neighbours)
        where TSink : struct, IBitSink
    {
        e.Encode(ref ctx.Coded[neighbours], last >= 0 ? 1 : 0);
        if (last < 0)
        {
            return;
        }

        for (int b = ctx.LastBits - 1, node = 1; b >= 0; b--)
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
                e.Encode(ref ctx.Significant[DetailLayerSyntax.SignificanceContext(levels, k, ctx.IsLarge)], m != 0 ? 1 : 0);
            }

            if (m == 0)
            {
                continue;
            }

            int band = DetailLayerSyntax.Band(k, ctx.IsLarge);
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

    /// <summary>
    /// Bits of the block for every place it could end, in one pass: <paramref name="ends"/>[k + 1] receives what
    /// <see cref="Encode"/> would cost with every level after k set to zero (for k = −1, the block not coded; for a k
    /// whose level is zero, NaN). Exact: a level's bits depend only on the levels before it, so the cost of ending
    /// at k is the coded flag, the last position k and the bits of levels 0..k without the significance flag at k.
    /// </summary>
    public static void PriceEnds(BlockContexts ctx, ReadOnlySpan<int> levels, int last, int neighbours, Span<double> ends)
    {
        ends[0] = BitCost(ctx.Coded[neighbours], 0);
        double start = BitCost(ctx.Coded[neighbours], 1), prefix = 0;
        int aboveOne = 0;
        for (int k = 0; k <= last; k++)
        {
            int m = Math.Abs(levels[k]);
            double sig = BitCost(ctx.Significant[DetailLayerSyntax.SignificanceContext(levels, k, ctx.IsLarge)], m != 0 ? 1 : 0);
            if (m == 0)
            {
                ends[k + 1] = double.NaN;
                prefix += sig;
                continue;
            }

            int band = DetailLayerSyntax.Band(k, ctx.IsLarge);
            double level = BitCost(ctx.AboveOne[(band * 3) + Math.Min(aboveOne, 2)], m > 1 ? 1 : 0) + 1; // + the sign
            if (m > 1)
            {
                aboveOne++;
                level += BitCost(ctx.AboveTwo[band], m > 2 ? 1 : 0);
                if (m > 2)
                {
                    level += (2 * (31 - int.LeadingZeroCount(m - 3 + 1))) + 1;
                }
            }

            double position = 0;
            for (int b = ctx.LastBits - 1, node = 1; b >= 0; b--)
            {
                int bit = (k >> b) & 1;
                position += BitCost(ctx.Last[node], bit);
                node = (node * 2) + bit;
            }

            ends[k + 1] = start + position + prefix + level;
            prefix += sig + level;
        }
    }

    /// <summary>Bits a context-coded <paramref name="bit"/> costs at probability <paramref name="p"/> (of a zero bit): −log2 of its probability.</summary>
    public static double BitCost(ushort p, int bit) => BitCosts[bit == 0 ? p : (1 << BinaryRangeEncoder.ProbabilityBits) - p];

    /// <summary>Where <see cref="Encode"/> puts its bits: the range coder, or a bit count for the encoder's choices.</summary>
    internal interface IBitSink
    {
        void Encode(ref ushort probability, int bit);

        void EncodeBypass(int bit);
    }

    /// <summary>Adaptive probabilities of one component class (luma, or both chroma components).</summary>
    internal sealed class Contexts
    {
        public readonly ushort[] Size = BlockContexts.New(3);
        public readonly BlockContexts Small = new(large: false);
        public readonly BlockContexts Large = new(large: true);

        /// <summary>The set of the 8×8 or the 16×16 blocks.</summary>
        public BlockContexts For(bool large) => large ? Large : Small;
    }

    /// <summary>Adaptive probabilities of the blocks of one size within a component class.</summary>
    internal sealed class BlockContexts(bool large)
    {
        public readonly bool IsLarge = large;
        public readonly int LastBits = large ? 8 : 6;
        public readonly ushort[] Coded = New(3);
        public readonly ushort[] Last = New(large ? 256 : 64);
        public readonly ushort[] Significant = New((large ? 46 : 64) * 3);
        public readonly ushort[] AboveOne = New(3 * 3);
        public readonly ushort[] AboveTwo = New(3);

        public static ushort[] New(int n)
        {
            var p = new ushort[n];
            Array.Fill(p, BinaryRangeEncoder.Half);
            return p;
        }
    }
}

/// <summary>
/// Writes a <c>DETL</c> payload: the header, then every macroblock's size flag (version 2) and blocks in syntax
/// order (<see cref="DetailLayerSyntax"/>). The encoder's rate-distortion choices price candidates with
/// <see cref="BlockBits"/> and <see cref="SizeBits"/>, which use the same adaptive probabilities they would be
/// coded with.
/// </summary>
public sealed class DetailPayloadWriter
{
    private readonly BinaryRangeEncoder _encoder = new();
    private readonly DetailLayerHeader _header;
    private readonly DetailBlockWalk _walk;

    /// <summary>Starts a payload of the header's syntax version for an image of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the header's version is not one this library writes.</exception>
    public DetailPayloadWriter(DetailLayerHeader header, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        _header = header;
        _walk = new DetailBlockWalk(header.Version, width, height);
    }

    /// <summary>Component (0 = Y, 1 = Cb, 2 = Cr) of the next macroblock or block.</summary>
    public int Component => _walk.Component;

    /// <summary>True when the next symbol is a macroblock's size (syntax version 2): call <see cref="WriteSize"/>.</summary>
    public bool AtMacroblock => _walk.AtSizeFlag;

    /// <summary>Side (8 or 16) of the next block; at a macroblock's size, 0.</summary>
    public int BlockSide => _walk.AtSizeFlag ? 0 : _walk.NextIsLarge ? DetailLayerSyntax.LargeBlockSize : DetailLayerSyntax.BlockSize;

    /// <summary>Bits the next macroblock's size flag would cost; changes nothing.</summary>
    /// <exception cref="InvalidOperationException">The next symbol is not a size flag.</exception>
    public double SizeBits(bool large)
    {
        RequireSize();
        return DetailBlockWalk.BitCost(_walk.Current.Size[_walk.SizeNeighbours], large ? 1 : 0);
    }

    /// <summary>Codes the next macroblock's size: one 16×16 block (<paramref name="large"/>) or four 8×8 blocks.</summary>
    /// <exception cref="InvalidOperationException">The next symbol is not a size flag.</exception>
    public void WriteSize(bool large)
    {
        RequireSize();
        _encoder.Encode(ref _walk.Current.Size[_walk.SizeNeighbours], large ? 1 : 0);
        _walk.SetSize(large);
    }

    /// <summary>
    /// Bits the next block would cost with these levels (zigzag order) ending at <paramref name="last"/> (−1: not coded);
    /// changes nothing. At a macroblock's size flag, <paramref name="large"/> says which block to price (the macroblock's
    /// only block, or its top-left one); otherwise it must be null or the next block's size.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="large"/> contradicts the size already written, or is missing at a size flag.</exception>
    public double BlockBits(ReadOnlySpan<int> levels, int last, bool? large = null)
    {
        var sink = new CostSink();
        DetailBlockWalk.Encode(ref sink, PricedContexts(large), levels, last, _walk.Neighbours);
        return sink.Bits;
    }

    /// <summary>
    /// What <see cref="BlockBits"/> would return for every end of the block at once (one pass instead of one pricing per
    /// candidate): <paramref name="ends"/>[k + 1] gets the bits with every level after k set to zero, for k = −1 (not
    /// coded) and every k up to <paramref name="last"/> whose level is non-zero (NaN at the others). <paramref name="large"/>
    /// as for <see cref="BlockBits"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="ends"/> is shorter than last + 2, or <paramref name="large"/> as for <see cref="BlockBits"/>.</exception>
    public void PriceEnds(ReadOnlySpan<int> levels, int last, Span<double> ends, bool? large = null)
    {
        DetailBlockWalk.BlockContexts ctx = PricedContexts(large);
        if (ends.Length < last + 2)
        {
            throw new ArgumentException("one entry per end and one for the uncoded block", nameof(ends));
        }

        DetailBlockWalk.PriceEnds(ctx, levels, last, _walk.Neighbours, ends);
    }

    /// <summary>Codes the next block: levels in zigzag order, every one after <paramref name="last"/> zero (−1: the block is not coded).</summary>
    /// <exception cref="InvalidOperationException">Every block has been written, or a macroblock's size is due first.</exception>
    /// <exception cref="ArgumentException">A level after <paramref name="last"/> is not zero, or the level at it is.</exception>
    public void WriteBlock(ReadOnlySpan<int> levels, int last)
    {
        if (_walk.Done)
        {
            throw new InvalidOperationException("every block of the detail layer has been written");
        }

        if (_walk.AtSizeFlag)
        {
            throw new InvalidOperationException("the macroblock's size must be written before its blocks");
        }

        int n = _walk.NextIsLarge ? DetailLayerSyntax.LargeCoefficients : DetailLayerSyntax.Coefficients;
        if (last >= n || levels.Length < n || (last >= 0 && levels[last] == 0))
        {
            throw new ArgumentException("a block's last index must hold a non-zero level", nameof(last));
        }

        var sink = new RangeSink(_encoder);
        DetailBlockWalk.Encode(ref sink, _walk.Current.For(_walk.NextIsLarge), levels, last, _walk.Neighbours);
        _walk.Advance(last >= 0);
    }

    /// <summary>The payload: header and range-coded blocks.</summary>
    /// <exception cref="InvalidOperationException">Not every block has been written.</exception>
    public byte[] ToPayload()
    {
        if (!_walk.Done)
        {
            throw new InvalidOperationException("not every block of the detail layer is written");
        }

        byte[] coded = _encoder.Finish();
        var payload = new byte[DetailLayerHeader.Size + coded.Length];
        _header.Write(payload);
        coded.CopyTo(payload, DetailLayerHeader.Size);
        return payload;
    }

    /// <summary>The contexts a pricing call means: the next block's, or at a size flag those of the size <paramref name="large"/> names.</summary>
    private DetailBlockWalk.BlockContexts PricedContexts(bool? large)
    {
        bool isLarge = large ?? (_walk.AtSizeFlag ? throw new ArgumentException("at a macroblock's size flag, say which block size to price", nameof(large)) : _walk.NextIsLarge);
        if (!_walk.AtSizeFlag && isLarge != _walk.NextIsLarge)
        {
            throw new ArgumentException("the macroblock's size is already written", nameof(large));
        }

        return _walk.Current.For(isLarge);
    }

    private void RequireSize()
    {
        if (!_walk.AtSizeFlag)
        {
            throw new InvalidOperationException("the next symbol is not a macroblock's size");
        }
    }

    private readonly struct RangeSink(BinaryRangeEncoder encoder) : DetailBlockWalk.IBitSink
    {
        public void Encode(ref ushort probability, int bit) => encoder.Encode(ref probability, bit);

        public void EncodeBypass(int bit) => encoder.EncodeBypass(bit);
    }

    private struct CostSink : DetailBlockWalk.IBitSink
    {
        public double Bits;

        public void Encode(ref ushort probability, int bit) => Bits += DetailBlockWalk.BitCost(probability, bit);

        public void EncodeBypass(int bit) => Bits += 1;
    }
}

/// <summary>
/// Reads a <c>DETL</c> payload (syntax version 1 or 2) macroblock by macroblock and block by block in syntax order
/// (<see cref="DetailLayerSyntax"/>); every error is a <see cref="VqcFormatException"/>. <see cref="Validate"/> walks a
/// whole payload without pixels (<c>vqc verify</c>).
/// </summary>
public sealed class DetailPayloadReader
{
    private readonly BinaryRangeDecoder _decoder;
    private readonly DetailBlockWalk _walk;
    private readonly long _offset;

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

        _decoder = new BinaryRangeDecoder(payload[DetailLayerHeader.Size..]);
        _walk = new DetailBlockWalk(Header.Version, width, height);
        _offset = offset;
    }

    /// <summary>The payload's header.</summary>
    public DetailLayerHeader Header { get; }

    /// <summary>Side of a macroblock in pixels (8 in version 1, 16 in version 2).</summary>
    public int MacroblockSize => DetailLayerSyntax.MacroblockSize(Header.Version);

    /// <summary>Component (0 = Y, 1 = Cb, 2 = Cr) of the next macroblock or block.</summary>
    public int Component => _walk.Component;

    /// <summary>
    /// Starts the next macroblock and returns the side of its blocks: 16 (one block) or 8 (four blocks, or in
    /// syntax version 1 the macroblock's one block, with nothing read).
    /// </summary>
    /// <exception cref="VqcFormatException">The coder ran past the payload's end.</exception>
    /// <exception cref="InvalidOperationException">The previous macroblock's blocks are not all read, or every block has been read.</exception>
    public int ReadMacroblock()
    {
        if (_walk.Done)
        {
            throw new InvalidOperationException("every block of the detail layer has been read");
        }

        if (MacroblockSize == DetailLayerSyntax.BlockSize)
        {
            return DetailLayerSyntax.BlockSize;
        }

        if (!_walk.AtSizeFlag)
        {
            throw new InvalidOperationException("the previous macroblock's blocks are not all read");
        }

        bool large = _decoder.Decode(ref _walk.Current.Size[_walk.SizeNeighbours]) == 1;
        _walk.SetSize(large);
        CheckOverrun();
        return large ? DetailLayerSyntax.LargeBlockSize : DetailLayerSyntax.BlockSize;
    }

    /// <summary>Reads the next block's levels (zigzag order, 64 or 256 of them) into <paramref name="levels"/> (cleared first); false when the block is not coded.</summary>
    /// <exception cref="VqcFormatException">A level is oversized, or the coder ran past the payload's end.</exception>
    /// <exception cref="InvalidOperationException">Every block has been read, or a macroblock must be started first.</exception>
    /// <exception cref="ArgumentException"><paramref name="levels"/> is shorter than the block.</exception>
    public bool ReadBlock(Span<int> levels)
    {
        if (_walk.Done)
        {
            throw new InvalidOperationException("every block of the detail layer has been read");
        }

        if (_walk.AtSizeFlag)
        {
            throw new InvalidOperationException("start the macroblock (ReadMacroblock) before its blocks");
        }

        bool large = _walk.NextIsLarge;
        int n = large ? DetailLayerSyntax.LargeCoefficients : DetailLayerSyntax.Coefficients;
        if (levels.Length < n)
        {
            throw new ArgumentException($"a block holds {n} levels", nameof(levels));
        }

        levels[..n].Clear();
        bool coded = Decode(levels, large);
        _walk.Advance(coded);
        CheckOverrun();
        return coded;
    }

    /// <summary>Walks every block of a payload for an image of <paramref name="width"/> × <paramref name="height"/> pixels; throws where it is malformed.</summary>
    /// <exception cref="VqcFormatException">The payload is malformed.</exception>
    public static void Validate(byte[] payload, int width, int height, long offset = 0) => Summarize(payload, width, height, offset);

    /// <summary>Walks every block of a payload (as <see cref="Validate"/>) and counts its macroblocks and blocks.</summary>
    /// <exception cref="VqcFormatException">The payload is malformed.</exception>
    public static DetailLayerSummary Summarize(byte[] payload, int width, int height, long offset = 0)
    {
        var reader = new DetailPayloadReader(payload, width, height, offset);
        Span<int> levels = stackalloc int[DetailLayerSyntax.LargeCoefficients];
        long macroblocks = 0, large = 0, blocks = 0, coded = 0;
        while (!reader._walk.Done)
        {
            int side = reader.ReadMacroblock();
            int count = reader.MacroblockSize / side * (reader.MacroblockSize / side);
            macroblocks++;
            large += side == DetailLayerSyntax.LargeBlockSize ? 1 : 0;
            for (int b = 0; b < count; b++)
            {
                blocks++;
                coded += reader.ReadBlock(levels) ? 1 : 0;
            }
        }

        return new DetailLayerSummary(reader.Header.Version, macroblocks, large, blocks, coded);
    }

    private void CheckOverrun()
    {
        if (_decoder.Overrun > 0)
        {
            throw new VqcFormatException("detail layer is truncated or corrupt", _offset);
        }
    }

    private bool Decode(Span<int> levels, bool large)
    {
        DetailBlockWalk.BlockContexts ctx = _walk.Current.For(large);
        BinaryRangeDecoder d = _decoder;
        if (d.Decode(ref ctx.Coded[_walk.Neighbours]) == 0)
        {
            return false;
        }

        int last = 0;
        for (int b = ctx.LastBits - 1, node = 1; b >= 0; b--)
        {
            int bit = d.Decode(ref ctx.Last[node]);
            node = (node * 2) + bit;
            last = (last << 1) | bit;
        }

        int aboveOne = 0;
        for (int k = 0; k <= last; k++)
        {
            if (k < last && d.Decode(ref ctx.Significant[DetailLayerSyntax.SignificanceContext(levels, k, large)]) == 0)
            {
                continue;
            }

            int band = DetailLayerSyntax.Band(k, large), m = 1;
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

/// <summary>What a <c>DETL</c> payload holds, counted over all three components (<see cref="DetailPayloadReader.Summarize"/>).</summary>
/// <param name="Version">Syntax version.</param>
/// <param name="Macroblocks">Macroblocks (8×8 in version 1, 16×16 in version 2).</param>
/// <param name="LargeMacroblocks">Macroblocks coded as one 16×16 block (version 2).</param>
/// <param name="Blocks">Transform blocks.</param>
/// <param name="CodedBlocks">Blocks with at least one non-zero level.</param>
public readonly record struct DetailLayerSummary(byte Version, long Macroblocks, long LargeMacroblocks, long Blocks, long CodedBlocks);
