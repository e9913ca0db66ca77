using VqCodec.Container.Coding;

namespace VqCodec.Container;

/// <summary>
/// The block syntax of a <c>DETL</c> payload (spec/container.md §4a), shared by <see cref="DetailPayloadWriter"/>
/// and <see cref="DetailPayloadReader"/>. The image is cut into macroblocks (8×8 in syntax version 1, 16×16 in
/// version 2, 32×32 in version 3), visited one row of macroblocks at a time, Y then Cb then Cr, left to right. A
/// macroblock is a quadtree of square blocks: every region larger than 8×8 starts with a size flag that chooses one
/// block of its side or four regions of half its side (top left, top right, bottom left, bottom right); an 8×8 region
/// is one block. Blocks hold quantized DCT levels in zigzag order, coded with adaptive binary contexts (one set for
/// luma, one shared by both chroma components, each with separate contexts per block side) that depend on whether the
/// block's left and above neighbours were coded.
/// </summary>
/// <remarks>
/// Per block: a coded flag (context: coded left and above neighbours); when coded, the zigzag index of the
/// last non-zero level down a binary tree of contexts (2·log2 of the side bits); then for each index up to
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

    /// <summary>Side of the large transform block in pixels (syntax versions 2 and 3).</summary>
    public const int LargeBlockSize = 16;

    /// <summary>Levels per large block.</summary>
    public const int LargeCoefficients = LargeBlockSize * LargeBlockSize;

    /// <summary>Side of the largest transform block in pixels (syntax version 3).</summary>
    public const int MaxBlockSize = 32;

    /// <summary>Levels per largest block: the most any block holds.</summary>
    public const int MaxCoefficients = MaxBlockSize * MaxBlockSize;

    /// <summary>Colour components, in coding order (Y, Cb, Cr).</summary>
    public const int Components = 3;

    /// <summary>Longest Exp-Golomb prefix a reader accepts (levels up to about 2^21).</summary>
    internal const int MaxEscapePrefix = 20;

    private static readonly int[] ZigzagOrder = BuildZigzag(BlockSize);
    private static readonly int[] LargeZigzagOrder = BuildZigzag(LargeBlockSize);
    private static readonly int[] MaxZigzagOrder = BuildZigzag(MaxBlockSize);

    /// <summary>JPEG zigzag order of an 8×8 block: <c>Zigzag[k]</c> is the row-major index of the k-th coded level.</summary>
    public static ReadOnlySpan<int> Zigzag => ZigzagOrder;

    /// <summary>The same order for a 16×16 block (row-major indices 0..255).</summary>
    public static ReadOnlySpan<int> LargeZigzag => LargeZigzagOrder;

    /// <summary>The zigzag order of a block of side <paramref name="side"/> (8, 16 or 32).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a block side of the syntax.</exception>
    public static ReadOnlySpan<int> ZigzagOf(int side) => side switch
    {
        BlockSize => ZigzagOrder,
        LargeBlockSize => LargeZigzagOrder,
        MaxBlockSize => MaxZigzagOrder,
        _ => throw new ArgumentOutOfRangeException(nameof(side), side, "not a detail layer block side"),
    };

    /// <summary>Side of a macroblock in pixels for a syntax version (8 in version 1, 16 in version 2, 32 in version 3).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a version this library reads.</exception>
    public static int MacroblockSize(byte version) => version switch
    {
        1 => BlockSize,
        2 => LargeBlockSize,
        3 => MaxBlockSize,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "not a detail layer syntax version"),
    };

    /// <summary>Macroblocks across and down an image of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public static (int Across, int Down) MacroblockCounts(byte version, int width, int height)
    {
        int m = MacroblockSize(version);
        return ((width + m - 1) / m, (height + m - 1) / m);
    }

    /// <summary>Index of a block side: 0 for 8, 1 for 16, 2 for 32.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a block side of the syntax.</exception>
    public static int SideClass(int side) => side switch
    {
        BlockSize => 0,
        LargeBlockSize => 1,
        MaxBlockSize => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(side), side, "not a detail layer block side"),
    };

    /// <summary>Significance classes of a block side (the s(k) of spec §4a take values 0 .. this − 1).</summary>
    internal static int SignificanceClasses(int sideClass) => sideClass switch { 0 => 64, 1 => 46, _ => 63 };

    /// <summary>Significance context of index <paramref name="k"/>: its class times 3 plus the non-zero levels among the two before it.</summary>
    internal static int SignificanceContext(ReadOnlySpan<int> levels, int k, int sideClass)
    {
        int s = sideClass switch
        {
            0 => k,
            1 => Math.Min(k < 32 ? k : 32 + ((k - 32) >> 4), 45),
            _ => Math.Min(k < 32 ? k : 32 + ((k - 32) >> 5), 62),
        };
        return (s * 3) + (k > 0 && levels[k - 1] != 0 ? 1 : 0) + (k > 1 && levels[k - 2] != 0 ? 1 : 0);
    }

    internal static int Band(int k, int sideClass) => sideClass switch
    {
        0 => k < 3 ? 0 : k < 10 ? 1 : 2,
        1 => k < 6 ? 0 : k < 36 ? 1 : 2,
        _ => k < 21 ? 0 : k < 136 ? 1 : 2,
    };

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

/// <summary>Where a block of the detail layer lies: its component (0 = Y), its top-left pixel in the macroblock grid and its side.</summary>
/// <param name="Component">0 = Y, 1 = Cb, 2 = Cr.</param>
/// <param name="X">Left column in pixels (may lie beyond the image in the grid's padding).</param>
/// <param name="Y">Top row in pixels (as <paramref name="X"/>).</param>
/// <param name="Side">8, 16 or 32.</param>
public readonly record struct DetailBlockPlacement(int Component, int X, int Y, int Side);

/// <summary>
/// Where the syntax walk stands: the adaptive contexts, the next macroblock and the pending regions of its quadtree,
/// and which 8×8 positions to the left and above were coded and by blocks of which side. One instance per writer or
/// reader; macroblocks, flags and blocks are visited in the order of <see cref="DetailLayerSyntax"/>.
/// </summary>
internal sealed class DetailBlockWalk
{
    /// <summary>BitCosts[p] = −log2(p / 2^ProbabilityBits).</summary>
    private static readonly double[] BitCosts = [.. Enumerable.Range(0, (1 << BinaryRangeEncoder.ProbabilityBits) + 1).Select(p => p == 0 ? 32 : -Math.Log2(p / (double)(1 << BinaryRangeEncoder.ProbabilityBits)))];

    private readonly Contexts[] _contexts = [new(), new()];
    private readonly int _macroblock;
    private readonly int _cells;
    private readonly int _across;
    private readonly int _down;
    private readonly bool[][][] _coded;
    private readonly int[][][] _side;
    private readonly bool[][] _codedAbove;
    private readonly int[][] _sideAbove;

    /// <summary>The current macroblock's regions still to visit (top of the stack next): 8×8 positions within it, side in pixels, and whether its size is known.</summary>
    private readonly (int X, int Y, int Side, bool Decided)[] _pending = new (int, int, int, bool)[16];
    private int _depth;
    private int _row;
    private int _component;
    private int _column;

    public DetailBlockWalk(byte version, int width, int height)
    {
        _macroblock = DetailLayerSyntax.MacroblockSize(version);
        _cells = _macroblock / DetailLayerSyntax.BlockSize;
        (_across, _down) = DetailLayerSyntax.MacroblockCounts(version, width, height);
        int columns = _across * _cells;
        _coded = [.. Enumerable.Range(0, DetailLayerSyntax.Components).Select(_ => Enumerable.Range(0, _cells).Select(_ => new bool[columns]).ToArray())];
        _side = [.. Enumerable.Range(0, DetailLayerSyntax.Components).Select(_ => Enumerable.Range(0, _cells).Select(_ => new int[columns]).ToArray())];
        _codedAbove = [new bool[columns], new bool[columns], new bool[columns]];
        _sideAbove = [new int[columns], new int[columns], new int[columns]];
        StartMacroblock();
    }

    /// <summary>Component (0 = Y) of the next macroblock or block.</summary>
    public int Component => _component;

    /// <summary>Row of macroblocks of the next flag or block.</summary>
    public int Row => _row;

    /// <summary>True when every macroblock has been visited.</summary>
    public bool Done => _row == _down;

    /// <summary>True when the next symbol is a region's size flag.</summary>
    public bool AtSizeFlag => !Done && !Top.Decided;

    /// <summary>Side of the region whose size flag is next (0 when the next symbol is a block).</summary>
    public int FlagSide => AtSizeFlag ? Top.Side : 0;

    /// <summary>Side of the next block (0 at a size flag or when done).</summary>
    public int NextSide => Done || !Top.Decided ? 0 : Top.Side;

    /// <summary>Where the next block (or flagged region) lies.</summary>
    public DetailBlockPlacement Placement => new(_component, (_column * _macroblock) + (Top.X * DetailLayerSyntax.BlockSize), (_row * _macroblock) + (Top.Y * DetailLayerSyntax.BlockSize), Top.Side);

    /// <summary>Contexts of the next block's component class.</summary>
    public Contexts Current => _contexts[_component == 0 ? 0 : 1];

    /// <summary>Context of a size flag for a region of <paramref name="side"/> at the next position: left and above positions covered by blocks at least that large (0–2).</summary>
    public int SizeNeighbours(int side)
    {
        (int col, int r) = TopCell;
        bool left = col > 0 && _side[_component][r][col - 1] >= side;
        bool above = (r > 0 ? _side[_component][r - 1][col] : _sideAbove[_component][col]) >= side;
        return (left ? 1 : 0) + (above ? 1 : 0);
    }

    /// <summary>The adaptive probability of a size flag for a region of <paramref name="side"/> at the next position (its context: <see cref="SizeNeighbours"/>).</summary>
    public ref ushort SizeContext(int side) => ref Current.SizeFor(side)[SizeNeighbours(side)];

    /// <summary>Coded left and above neighbours (0–2) of the next block's (or flagged region's) top-left 8×8 position.</summary>
    public int Neighbours
    {
        get
        {
            (int col, int r) = TopCell;
            bool left = col > 0 && _coded[_component][r][col - 1];
            bool above = r > 0 ? _coded[_component][r - 1][col] : _codedAbove[_component][col];
            return (left ? 1 : 0) + (above ? 1 : 0);
        }
    }

    private ref (int X, int Y, int Side, bool Decided) Top => ref _pending[_depth - 1];

    private (int Column, int Row) TopCell => ((_column * _cells) + Top.X, Top.Y);

    /// <summary>Records the size chosen at the flag: one block of the region's side (<paramref name="whole"/>) or its four quarters.</summary>
    public void SetSize(bool whole)
    {
        if (whole)
        {
            Top.Decided = true;
            return;
        }

        (int x, int y, int side, _) = _pending[--_depth];
        int half = side / 2, cells = half / DetailLayerSyntax.BlockSize;
        bool leaf = half == DetailLayerSyntax.BlockSize;
        for (int q = 3; q >= 0; q--)
        {
            _pending[_depth++] = (x + (q % 2 * cells), y + (q / 2 * cells), half, leaf);
        }
    }

    /// <summary>Records whether the block just visited was coded and moves to the next block, region or macroblock.</summary>
    public void Advance(bool coded)
    {
        int c = _component;
        (int x, int y, int side, _) = _pending[--_depth];
        int first = (_column * _cells) + x, n = side / DetailLayerSyntax.BlockSize;
        for (int r = y; r < y + n; r++)
        {
            for (int col = first; col < first + n; col++)
            {
                _coded[c][r][col] = coded;
                _side[c][r][col] = side;
            }
        }

        if (_depth > 0)
        {
            return;
        }

        if (++_column == _across)
        {
            // The component's row of macroblocks is done: its bottom row of positions is the next row's "above".
            _column = 0;
            _coded[c][_cells - 1].CopyTo(_codedAbove[c], 0);
            _side[c][_cells - 1].CopyTo(_sideAbove[c], 0);
            if (++_component == DetailLayerSyntax.Components)
            {
                _component = 0;
                _row++;
            }
        }

        StartMacroblock();
    }

    private void StartMacroblock()
    {
        _depth = 1;
        _pending[0] = (0, 0, _macroblock, _macroblock == DetailLayerSyntax.BlockSize);
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
                e.Encode(ref ctx.Significant[DetailLayerSyntax.SignificanceContext(levels, k, ctx.SideClass)], m != 0 ? 1 : 0);
            }

            if (m == 0)
            {
                continue;
            }

            int band = DetailLayerSyntax.Band(k, ctx.SideClass);
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
            double sig = BitCost(ctx.Significant[DetailLayerSyntax.SignificanceContext(levels, k, ctx.SideClass)], m != 0 ? 1 : 0);
            if (m == 0)
            {
                ends[k + 1] = double.NaN;
                prefix += sig;
                continue;
            }

            int band = DetailLayerSyntax.Band(k, ctx.SideClass);
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
        /// <summary>Size flags of 16×16 regions (index 0) and 32×32 regions (index 1), three contexts each.</summary>
        private readonly ushort[][] _size = [BlockContexts.New(3), BlockContexts.New(3)];
        private readonly BlockContexts[] _blocks = [new(0), new(1), new(2)];

        /// <summary>The size flag contexts of regions of <paramref name="side"/> (16 or 32).</summary>
        public ushort[] SizeFor(int side) => _size[DetailLayerSyntax.SideClass(side) - 1];

        /// <summary>The set of the blocks of <paramref name="side"/> (8, 16 or 32).</summary>
        public BlockContexts For(int side) => _blocks[DetailLayerSyntax.SideClass(side)];
    }

    /// <summary>Adaptive probabilities of the blocks of one size within a component class.</summary>
    internal sealed class BlockContexts(int sideClass)
    {
        public readonly int SideClass = sideClass;
        public readonly int LastBits = 6 + (2 * sideClass);
        public readonly ushort[] Coded = New(3);
        public readonly ushort[] Last = New(64 << (2 * sideClass));
        public readonly ushort[] Significant = New(DetailLayerSyntax.SignificanceClasses(sideClass) * 3);
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
/// Writes a <c>DETL</c> payload: the header, then every region's size flag and every block in syntax order
/// (<see cref="DetailLayerSyntax"/>). The encoder's rate-distortion choices price candidates with
/// <see cref="BlockBits"/>, <see cref="PriceEnds"/> and <see cref="SizeBits"/>, which use the same adaptive
/// probabilities they would be coded with.
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

    /// <summary>Component (0 = Y, 1 = Cb, 2 = Cr) of the next region or block.</summary>
    public int Component => _walk.Component;

    /// <summary>True when the next symbol is a region's size flag (syntax versions 2 and 3): call <see cref="WriteSize"/>.</summary>
    public bool AtSizeFlag => _walk.AtSizeFlag;

    /// <summary>Side (16 or 32) of the region whose size flag is next; 0 when the next symbol is a block.</summary>
    public int FlagSide => _walk.FlagSide;

    /// <summary>Side (8, 16 or 32) of the next block; at a size flag, 0.</summary>
    public int BlockSide => _walk.NextSide;

    /// <summary>
    /// Bits the next size flag would cost; changes nothing. <paramref name="side"/> (default: <see cref="FlagSide"/>) may
    /// name a smaller region (16 at a 32×32 flag), priced at the same position, for the encoder's look-ahead.
    /// </summary>
    /// <exception cref="InvalidOperationException">The next symbol is not a size flag.</exception>
    /// <exception cref="ArgumentException"><paramref name="side"/> is not a flagged side at or below <see cref="FlagSide"/>.</exception>
    public double SizeBits(bool whole, int? side = null)
    {
        RequireSize();
        int s = side ?? _walk.FlagSide;
        if (s > _walk.FlagSide || s <= DetailLayerSyntax.BlockSize || s % DetailLayerSyntax.LargeBlockSize != 0)
        {
            throw new ArgumentException($"a {s}-pixel region has no size flag here", nameof(side));
        }

        return DetailBlockWalk.BitCost(_walk.SizeContext(s), whole ? 1 : 0);
    }

    /// <summary>Codes the next region's size: one block of its side (<paramref name="whole"/>) or its four quarters.</summary>
    /// <exception cref="InvalidOperationException">The next symbol is not a size flag.</exception>
    public void WriteSize(bool whole)
    {
        RequireSize();
        _encoder.Encode(ref _walk.SizeContext(_walk.FlagSide), whole ? 1 : 0);
        _walk.SetSize(whole);
    }

    /// <summary>
    /// Bits the next block would cost with these levels (zigzag order) ending at <paramref name="last"/> (−1: not coded);
    /// changes nothing. At a size flag, <paramref name="side"/> says which block to price (of the flagged region's side or
    /// smaller, at the region's top-left corner); otherwise it must be null or the next block's side.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="side"/> contradicts the sizes already written, or is missing at a size flag.</exception>
    public double BlockBits(ReadOnlySpan<int> levels, int last, int? side = null)
    {
        var sink = new CostSink();
        DetailBlockWalk.Encode(ref sink, PricedContexts(side), levels, last, _walk.Neighbours);
        return sink.Bits;
    }

    /// <summary>
    /// What <see cref="BlockBits"/> would return for every end of the block at once (one pass instead of one pricing per
    /// candidate): <paramref name="ends"/>[k + 1] gets the bits with every level after k set to zero, for k = −1 (not
    /// coded) and every k up to <paramref name="last"/> whose level is non-zero (NaN at the others). <paramref name="side"/>
    /// as for <see cref="BlockBits"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="ends"/> is shorter than last + 2, or <paramref name="side"/> as for <see cref="BlockBits"/>.</exception>
    public void PriceEnds(ReadOnlySpan<int> levels, int last, Span<double> ends, int? side = null)
    {
        DetailBlockWalk.BlockContexts ctx = PricedContexts(side);
        if (ends.Length < last + 2)
        {
            throw new ArgumentException("one entry per end and one for the uncoded block", nameof(ends));
        }

        DetailBlockWalk.PriceEnds(ctx, levels, last, _walk.Neighbours, ends);
    }

    /// <summary>Codes the next block: levels in zigzag order, every one after <paramref name="last"/> zero (−1: the block is not coded).</summary>
    /// <exception cref="InvalidOperationException">Every block has been written, or a region's size is due first.</exception>
    /// <exception cref="ArgumentException">A level after <paramref name="last"/> is not zero, or the level at it is.</exception>
    public void WriteBlock(ReadOnlySpan<int> levels, int last)
    {
        if (_walk.Done)
        {
            throw new InvalidOperationException("every block of the detail layer has been written");
        }

        if (_walk.AtSizeFlag)
        {
            throw new InvalidOperationException("the region's size must be written before its blocks");
        }

        int side = _walk.NextSide, n = side * side;
        if (last >= n || levels.Length < n || (last >= 0 && levels[last] == 0))
        {
            throw new ArgumentException("a block's last index must hold a non-zero level", nameof(last));
        }

        var sink = new RangeSink(_encoder);
        DetailBlockWalk.Encode(ref sink, _walk.Current.For(side), levels, last, _walk.Neighbours);
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

    /// <summary>The contexts a pricing call means: the next block's, or at a size flag those of the side <paramref name="side"/> names.</summary>
    private DetailBlockWalk.BlockContexts PricedContexts(int? side)
    {
        if (_walk.Done)
        {
            throw new InvalidOperationException("every block of the detail layer has been written");
        }

        if (!_walk.AtSizeFlag)
        {
            return side is null || side == _walk.NextSide
                ? _walk.Current.For(_walk.NextSide)
                : throw new ArgumentException("the block's size is already written", nameof(side));
        }

        if (side is not int s || s > _walk.FlagSide || s is not (DetailLayerSyntax.BlockSize or DetailLayerSyntax.LargeBlockSize or DetailLayerSyntax.MaxBlockSize))
        {
            throw new ArgumentException("at a size flag, say which block side (at most the region's) to price", nameof(side));
        }

        return _walk.Current.For(s);
    }

    private void RequireSize()
    {
        if (!_walk.AtSizeFlag)
        {
            throw new InvalidOperationException("the next symbol is not a size flag");
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
/// Reads a <c>DETL</c> payload (syntax version 1, 2 or 3) block by block in syntax order (<see cref="DetailLayerSyntax"/>),
/// reading the size flags on the way; every error is a <see cref="VqcFormatException"/>. <see cref="Validate"/> walks a
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

    /// <summary>Side of a macroblock in pixels (8 in version 1, 16 in version 2, 32 in version 3).</summary>
    public int MacroblockSize => DetailLayerSyntax.MacroblockSize(Header.Version);

    /// <summary>Component (0 = Y, 1 = Cb, 2 = Cr) of the next region or block.</summary>
    public int Component => _walk.Component;

    /// <summary>Row of macroblocks of the next block.</summary>
    public int MacroblockRow => _walk.Row;

    /// <summary>True when every block has been read.</summary>
    public bool Done => _walk.Done;

    /// <summary>
    /// Reads the size flags before the next block, then its levels (zigzag order, side² of them) into
    /// <paramref name="levels"/> (cleared first); <paramref name="placement"/> says where it lies. False when the block
    /// is not coded.
    /// </summary>
    /// <exception cref="VqcFormatException">A level is oversized, or the coder ran past the payload's end.</exception>
    /// <exception cref="InvalidOperationException">Every block has been read.</exception>
    /// <exception cref="ArgumentException"><paramref name="levels"/> is shorter than the largest block of the version.</exception>
    public bool ReadBlock(Span<int> levels, out DetailBlockPlacement placement)
    {
        if (_walk.Done)
        {
            throw new InvalidOperationException("every block of the detail layer has been read");
        }

        int most = MacroblockSize * MacroblockSize;
        if (levels.Length < most)
        {
            throw new ArgumentException($"a block of this payload holds up to {most} levels", nameof(levels));
        }

        while (_walk.AtSizeFlag)
        {
            bool whole = _decoder.Decode(ref _walk.SizeContext(_walk.FlagSide)) == 1;
            _walk.SetSize(whole);
            CheckOverrun();
        }

        placement = _walk.Placement;
        levels[..(placement.Side * placement.Side)].Clear();
        bool coded = Decode(levels, placement.Side);
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
        var levels = new int[DetailLayerSyntax.MaxCoefficients];
        Span<long> bySide = stackalloc long[3];
        long blocks = 0, coded = 0;
        while (!reader._walk.Done)
        {
            coded += reader.ReadBlock(levels, out DetailBlockPlacement p) ? 1 : 0;
            blocks++;
            bySide[DetailLayerSyntax.SideClass(p.Side)]++;
        }

        (int across, int down) = DetailLayerSyntax.MacroblockCounts(reader.Header.Version, width, height);
        return new DetailLayerSummary(reader.Header.Version, (long)across * down * DetailLayerSyntax.Components, blocks, coded, bySide[1], bySide[2]);
    }

    private void CheckOverrun()
    {
        if (_decoder.Overrun > 0)
        {
            throw new VqcFormatException("detail layer is truncated or corrupt", _offset);
        }
    }

    private bool Decode(Span<int> levels, int side)
    {
        DetailBlockWalk.BlockContexts ctx = _walk.Current.For(side);
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
            if (k < last && d.Decode(ref ctx.Significant[DetailLayerSyntax.SignificanceContext(levels, k, ctx.SideClass)]) == 0)
            {
                continue;
            }

            int band = DetailLayerSyntax.Band(k, ctx.SideClass), m = 1;
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
/// <param name="Macroblocks">Macroblocks (8×8 in version 1, 16×16 in version 2, 32×32 in version 3).</param>
/// <param name="Blocks">Transform blocks of every side.</param>
/// <param name="CodedBlocks">Blocks with at least one non-zero level.</param>
/// <param name="LargeBlocks">16×16 blocks (versions 2 and 3).</param>
/// <param name="LargestBlocks">32×32 blocks (version 3).</param>
public readonly record struct DetailLayerSummary(byte Version, long Macroblocks, long Blocks, long CodedBlocks, long LargeBlocks, long LargestBlocks);
