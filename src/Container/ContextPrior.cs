using System.Buffers.Binary;
using System.Numerics;

namespace VqCodec.Container;

/// <summary>How a <see cref="ContextPrior"/>'s context positions are laid out.</summary>
public enum ContextLayout
{
    /// <summary>A sequence (speech frames): the context of frame t is frames t−1, t−2, … of the segment.</summary>
    Sequence = 0,

    /// <summary>
    /// A 2-D grid in raster order (image token positions): the context of (y, x) is its causal neighbours in the
    /// order west, north, north-west, north-east, west-west, north-north (the first <see cref="ContextPrior.ContextFrames"/>).
    /// </summary>
    Grid = 1,
}

/// <summary>
/// A learned autoregressive token prior, evaluated in integer arithmetic only so that encoder and decoder
/// compute identical probabilities on every machine (spec §5b). For segmented (speech) grids it predicts token
/// (t, l) of a segment from the tokens of the segment's previous <see cref="ContextFrames"/> frames (all the
/// file's levels) and from levels 0..l−1 of frame t; for images (<see cref="ContextLayout.Grid"/>) the previous
/// frames are a position's causal neighbours in the token grid. It ships inside a model's
/// <see cref="TokenPriors"/>, so the header's priors hash names it.
/// </summary>
public sealed class ContextPrior
{
    /// <summary>Fixed-point fraction bits of every activation, embedding and bias (Q9: 1.0 = 512).</summary>
    public const int FractionBits = 9;

    /// <summary>Activations and embedding sums are clamped to ±ActivationLimit (±32 in real units).</summary>
    public const int ActivationLimit = 16383;

    /// <summary>Exponent table length: exp(−z/512) for z in [0, ExpTableLength); beyond it the weight is 0.</summary>
    public const int ExpTableLength = 24 * 512;

    /// <summary>Most grid columns a <see cref="ContextLayout.Grid"/> prior codes (bounds its row buffers; a 16× model's widest grid).</summary>
    public const int MaxGridWidth = 4096;

    private const uint Magic = 0x50435156; // "VQCP"

    private static readonly (int Dy, int Dx)[] Neighbours = [(0, -1), (-1, 0), (-1, -1), (-1, 1), (0, -2), (-2, 0)];

    /// <summary>A grid prior's context positions (row, column offsets) in slot order: W, N, NW, NE, WW, NN (spec §5b).</summary>
    public static IReadOnlyList<(int Dy, int Dx)> GridNeighbours => Neighbours;
    private const int MaxWidth = 256;
    private const int MaxLinearInputs = 1024;
    private const int MaxParameter = 1 << 24;

    private static readonly Lazy<int[]> ExpTable = new(BuildExpTable);

    private readonly int[][] _past;
    private readonly int[][] _current;
    private readonly int[] _start;
    private readonly int[] _levelCount;
    private readonly int[] _levelEmbedding;
    private readonly IntLinear _context;
    private readonly IntLinear _hidden;
    private readonly IntLinear[] _heads;
    private readonly byte[] _serialized;

    private ContextPrior(int levels, int codebookSize, int width, int contextFrames, bool residual, ContextLayout layout, int[][] past, int[][] current, int[] start, int[] levelCount, int[] levelEmbedding, IntLinear context, IntLinear hidden, IntLinear[] heads, byte[] serialized)
    {
        Levels = levels;
        CodebookSize = codebookSize;
        Width = width;
        ContextFrames = contextFrames;
        Residual = residual;
        Layout = layout;
        _past = past;
        _current = current;
        _start = start;
        _levelCount = levelCount;
        _levelEmbedding = levelEmbedding;
        _context = context;
        _hidden = hidden;
        _heads = heads;
        _serialized = serialized;
    }

    /// <summary>Most levels a file may have for this prior to code it.</summary>
    public int Levels { get; }

    /// <summary>Codebook size of every level.</summary>
    public int CodebookSize { get; }

    /// <summary>Hidden width D.</summary>
    public int Width { get; }

    /// <summary>Previous frames of the segment (or causal grid neighbours) the prior sees (C).</summary>
    public int ContextFrames { get; }

    /// <summary>Whether the context is a sequence's previous frames or a grid's causal neighbours.</summary>
    public ContextLayout Layout { get; }

    /// <summary>True when the hidden layer adds its input back: h = clamp(relu(B·u) + u) instead of clamp(relu(B·u)).</summary>
    public bool Residual { get; }

    /// <summary>True when this prior can code a file with these levels (count ≤ <see cref="Levels"/>, every codebook of <see cref="CodebookSize"/>).</summary>
    public bool Covers(IReadOnlyList<int> codebookSizes)
    {
        ArgumentNullException.ThrowIfNull(codebookSizes);
        return codebookSizes.Count >= 1 && codebookSizes.Count <= Levels && codebookSizes.All(k => k == CodebookSize);
    }

    /// <summary>
    /// True when this prior can code the token grids of a file with <paramref name="header"/>: it covers its levels,
    /// its layout is the media's (a sequence prior for segmented media, a grid prior for images) and an image's grid
    /// is at most <see cref="MaxGridWidth"/> wide.
    /// </summary>
    public bool Fits(VqcHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        bool segmented = header.SegmentLength > 0;
        return Covers([.. header.Levels.Select(l => l.CodebookSize)])
            && (segmented ? Layout == ContextLayout.Sequence : Layout == ContextLayout.Grid && header.Levels[0].GridWidth <= MaxGridWidth);
    }

    /// <summary>
    /// Fewest stream bytes that can hold <paramref name="tokens"/> tokens of codebooks of <see cref="CodebookSize"/>:
    /// no frequency exceeds 65536 − (K − 1), so every token costs at least −log2((65537 − K) / 65536) bits, and the
    /// stream's final state carries at most 32 of them. A shorter stream is refused before anything is allocated
    /// (spec §4), so decoding work stays proportional to the bytes a file holds.
    /// </summary>
    public long MinimumStreamBytes(long tokens)
    {
        double bits = tokens * -Math.Log2((65537.0 - CodebookSize) / 65536.0);
        return Math.Max(0, (long)Math.Floor((bits - 64) / 8));
    }

    /// <summary>The serialized form (spec §5b).</summary>
    public byte[] Serialize() => (byte[])_serialized.Clone();

    /// <summary>
    /// Builds a prior from quantized parameters (the exporter's output). Tensors are row-major; int8 weights with
    /// one Q16 multiplier per row (linear layers) or per level (embeddings); biases and vectors in Q9.
    /// </summary>
    /// <exception cref="ArgumentException">Inconsistent shapes or out-of-range values.</exception>
    public static ContextPrior Create(ContextPriorParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        byte[] bytes = Write(p);
        try
        {
            return Deserialize(bytes);
        }
        catch (VqcFormatException ex)
        {
            throw new ArgumentException($"invalid context prior parameters: {ex.Message}", nameof(p));
        }
    }

    /// <summary>Parses <see cref="Serialize"/> output.</summary>
    /// <exception cref="VqcFormatException">Not a valid context prior.</exception>
    public static ContextPrior Deserialize(ReadOnlySpan<byte> data)
    {
        var r = new SpanReader(data);
        if (r.U32() != Magic || r.U8() != 1)
        {
            throw new VqcFormatException("not a version-1 context prior", 0);
        }

        int levels = r.U8(), k = r.U16(), d = r.U16(), c = r.U8(), flags = r.U8();
        if ((flags & ~3) != 0 || ((flags & 2) != 0 && c > Neighbours.Length) || levels is < 1 or > VqcLimits.MaxLevels || k is < 2 or > VqcLimits.MaxEntropyCodedCodebook
            || d is < 1 or > MaxWidth || c is < 1 || c * d > MaxLinearInputs)
        {
            throw new VqcFormatException("context prior dimensions out of range", r.Position);
        }

        int[][] past = ReadEmbeddings(ref r, levels, k, d);
        int[][] current = ReadEmbeddings(ref r, levels, k, d);
        int[] start = r.Ints(d);
        int[] levelCount = r.Ints(levels * d);
        int[] levelEmbedding = r.Ints(levels * d);
        IntLinear context = IntLinear.Read(ref r, d, c * d);
        IntLinear hidden = IntLinear.Read(ref r, d, d);
        var heads = new IntLinear[levels];
        for (int l = 0; l < levels; l++)
        {
            heads[l] = IntLinear.Read(ref r, k, d);
        }

        if (r.Position != data.Length)
        {
            throw new VqcFormatException("trailing bytes after the context prior", r.Position);
        }

        return new ContextPrior(levels, k, d, c, (flags & 1) != 0, (flags & 2) != 0 ? ContextLayout.Grid : ContextLayout.Sequence, past, current, start, levelCount, levelEmbedding, context, hidden, heads, data.ToArray());
    }

    /// <summary>
    /// Codes one segment's planes (levels × frames) as one rANS stream in frame order, levels in order within a
    /// frame; for a <see cref="ContextLayout.Grid"/> prior the frames are the positions of a grid
    /// <paramref name="gridWidth"/> wide in raster order.
    /// </summary>
    internal byte[] Encode(IReadOnlyList<int[]> planes, int gridWidth = 0)
    {
        int levels = planes.Count, frames = planes[0].Length, i = 0;
        var starts = new int[levels * frames];
        var freqs = new int[levels * frames];
        Walk(levels, frames, gridWidth, (t, l, state) =>
        {
            int s = planes[l][t];
            starts[i] = state.Start[s];
            freqs[i++] = state.Freq[s];
            return s;
        });
        return Coding.Rans.Encode(starts, freqs);
    }

    /// <summary>Decodes <see cref="Encode"/> output into <paramref name="planes"/> (their lengths give the frame count) and the ideal bits of each level.</summary>
    /// <returns>False when the stream is inconsistent.</returns>
    internal bool Decode(ReadOnlyMemory<byte> data, int[][] planes, double[] bits, int gridWidth = 0)
    {
        var decoder = new Coding.RansDecoder(data);
        return Walk(planes.Length, planes[0].Length, gridWidth, (t, l, state) =>
        {
            int s = decoder.Decode(state.Freq, state.Start);
            if (s >= 0)
            {
                planes[l][t] = s;
                bits[l] += Coding.FrequencyTable.ScaleBits - Math.Log2(state.Freq[s]);
            }

            return s;
        }) && decoder.Finished;
    }

    /// <summary>Ideal code length in bits of each level of one segment (no stream written; for measurement).</summary>
    public double[] IdealBits(IReadOnlyList<int[]> planes) => IdealBits(planes, 0);

    /// <summary>
    /// Ideal code length in bits of each level of one segment, or for a <see cref="ContextLayout.Grid"/> prior of
    /// one grid <paramref name="gridWidth"/> wide (no stream written; for measurement).
    /// </summary>
    /// <exception cref="ArgumentException">A grid prior without a width that divides the planes' length.</exception>
    public double[] IdealBits(IReadOnlyList<int[]> planes, int gridWidth)
    {
        ArgumentNullException.ThrowIfNull(planes);
        var bits = new double[planes.Count];
        Walk(planes.Count, planes[0].Length, gridWidth, (t, l, state) =>
        {
            int s = planes[l][t];
            bits[l] += Coding.FrequencyTable.ScaleBits - Math.Log2(state.Freq[s]);
            return s;
        });
        return bits;
    }

    /// <summary>
    /// Samples <paramref name="frames"/> frames of <paramref name="levels"/> tokens from the prior (one segment,
    /// context restarting at frame 0), drawing each token from the same integer frequencies the coder uses.
    /// </summary>
    /// <param name="levels">Levels per frame (1..<see cref="Levels"/>).</param>
    /// <param name="frames">Frames to draw.</param>
    /// <param name="random">Source of randomness (seed it for a reproducible draw).</param>
    /// <param name="temperature">Below 1 sharpens the distribution, above 1 flattens it (applied to the frequencies as f^(1/T)).</param>
    public int[][] Sample(int levels, int frames, Random random, double temperature = 1.0) => Sample(levels, frames, 0, random, temperature);

    /// <summary>
    /// Samples a <paramref name="height"/> × <paramref name="width"/> grid of <paramref name="levels"/> tokens per
    /// position from a <see cref="ContextLayout.Grid"/> prior (raster order), as <see cref="Sample(int, int, Random, double)"/>.
    /// </summary>
    public int[][] SampleGrid(int levels, int height, int width, Random random, double temperature = 1.0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        return Sample(levels, checked(height * width), width, random, temperature);
    }

    private int[][] Sample(int levels, int frames, int gridWidth, Random random, double temperature)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(levels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(levels, Levels);
        ArgumentOutOfRangeException.ThrowIfNegative(frames);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(temperature);
        var planes = Enumerable.Range(0, levels).Select(_ => new int[frames]).ToArray();
        var weights = new double[CodebookSize];
        Walk(levels, frames, gridWidth, (t, l, state) =>
        {
            double total = 0;
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] = Math.Pow(state.Freq[i], 1.0 / temperature);
                total += weights[i];
            }

            double u = random.NextDouble() * total;
            int s = 0;
            while (s < weights.Length - 1 && (u -= weights[s]) > 0)
            {
                s++;
            }

            return planes[l][t] = s;
        });
        return planes;
    }

    /// <summary>
    /// The one evaluation order of a segment (or grid, raster order): frame by frame, level by level, the
    /// distribution of token (t, l) is computed and <paramref name="next"/> names the token (from the planes, the
    /// stream or a draw); false when it returns −1 (a stream that ran out).
    /// </summary>
    private bool Walk(int levels, int frames, int gridWidth, Func<int, int, State, int> next)
    {
        if (Layout == ContextLayout.Grid && (gridWidth is < 1 or > MaxGridWidth || frames % gridWidth != 0))
        {
            throw new ArgumentException($"a grid prior needs a grid width of 1..{MaxGridWidth} that divides the {frames} positions", nameof(gridWidth));
        }

        var state = new State(this, levels, Layout == ContextLayout.Grid ? gridWidth : 0);
        for (int t = 0; t < frames; t++)
        {
            state.BeginFrame();
            for (int l = 0; l < levels; l++)
            {
                state.Distribution(l);
                int s = next(t, l, state);
                if (s < 0)
                {
                    return false;
                }

                state.Accept(l, s);
            }

            state.EndFrame();
        }

        return true;
    }

    private static int[][] ReadEmbeddings(ref SpanReader r, int levels, int k, int d)
    {
        var tables = new int[levels][];
        for (int l = 0; l < levels; l++)
        {
            int multiplier = r.Multiplier();
            ReadOnlySpan<byte> q = r.Bytes(k * d);
            tables[l] = new int[k * d];
            for (int i = 0; i < q.Length; i++)
            {
                tables[l][i] = Rescale((sbyte)q[i], multiplier);
            }
        }

        return tables;
    }

    /// <summary>round(q · m / 2^16), rounding half up (arithmetic shift).</summary>
    private static int Rescale(long q, int multiplier) => (int)(((q * multiplier) + (1L << 15)) >> 16);

    private static int ClampActivation(long v) => (int)Math.Clamp(v, -ActivationLimit, ActivationLimit);

    /// <summary>T[z] = exp(−z/512) in Q24, from an integer recurrence (spec §5b), so no floating point is involved.</summary>
    private static int[] BuildExpTable()
    {
        const ulong step = 4602687609541841169UL; // round(exp(-1/512) * 2^62)
        var table = new int[ExpTableLength];
        UInt128 t = (UInt128)1 << 62;
        for (int z = 0; z < table.Length; z++)
        {
            table[z] = (int)((t + ((UInt128)1 << 37)) >> 38);
            t = (t * step) >> 62;
        }

        return table;
    }

    private static byte[] Write(ContextPriorParameters p)
    {
        int levels = p.Past.Length, k = p.CodebookSize, d = p.Width;
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(Magic);
        w.Write((byte)1);
        w.Write((byte)levels);
        w.Write((ushort)k);
        w.Write((ushort)d);
        w.Write((byte)p.ContextFrames);
        w.Write((byte)((p.Residual ? 1 : 0) | (p.Layout == ContextLayout.Grid ? 2 : 0)));
        foreach ((int m, sbyte[] q) in p.Past.Concat(p.Current))
        {
            w.Write(m);
            w.Write(MemoryMarshalBytes(q));
        }

        foreach (int v in p.Start.Concat(p.LevelCount).Concat(p.LevelEmbedding))
        {
            w.Write(v);
        }

        foreach (QuantizedLinear lin in new[] { p.Context, p.Hidden }.Concat(p.Heads))
        {
            foreach (int m in lin.Multipliers)
            {
                w.Write(m);
            }

            foreach (int b in lin.Biases)
            {
                w.Write(b);
            }

            w.Write(MemoryMarshalBytes(lin.Weights));
        }

        w.Flush();
        return ms.ToArray();
    }

    private static byte[] MemoryMarshalBytes(sbyte[] q) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(q.AsSpan()).ToArray();

    /// <summary>The evaluation state of one segment.</summary>
    private sealed class State
    {
        private readonly ContextPrior _p;
        private readonly int _levels;
        private readonly int[][] _history;
        private readonly int _gridWidth;
        private readonly int[] _frame;
        private readonly int[] _input;
        private readonly int[] _context;
        private readonly int[] _prefix;
        private readonly int[] _u;
        private readonly int[] _h;
        private readonly int[] _logits;
        private int _frames;

        public State(ContextPrior p, int levels, int gridWidth)
        {
            _p = p;
            _levels = levels;
            _gridWidth = gridWidth;
            int d = p.Width;

            // A sequence keeps its last C frame sums; a grid the sums of its last three rows (NN is two rows up).
            _history = Enumerable.Range(0, gridWidth > 0 ? 3 * gridWidth : p.ContextFrames).Select(_ => new int[d]).ToArray();
            _frame = new int[d];
            _input = new int[p.ContextFrames * d];
            _context = new int[d];
            _prefix = new int[d];
            _u = new int[d];
            _h = new int[d];
            _logits = new int[p.CodebookSize];
            Freq = new int[p.CodebookSize];
            Start = new int[p.CodebookSize + 1];
        }

        public int[] Freq { get; }

        public int[] Start { get; }

        public void BeginFrame()
        {
            int d = _p.Width;
            for (int j = 0; j < _p.ContextFrames; j++)
            {
                // Sequence: slot j holds frame t−1−j. Grid: slot j holds neighbour j of (y, x). Frames before the
                // segment's start and neighbours outside the grid are the learned start vector.
                Source(j).CopyTo(_input, j * d);
            }

            _p._context.Apply(_input, _context);
            ReadOnlySpan<int> count = _p._levelCount.AsSpan((_levels - 1) * d, d);
            for (int i = 0; i < d; i++)
            {
                _context[i] = ClampActivation(Math.Max(0L, (long)_context[i] + count[i]));
            }

            Array.Clear(_prefix);
            Array.Clear(_frame);
        }

        public void Distribution(int level)
        {
            int d = _p.Width;
            ReadOnlySpan<int> g = _p._levelEmbedding.AsSpan(level * d, d);
            for (int i = 0; i < d; i++)
            {
                _u[i] = ClampActivation((long)_context[i] + g[i] + _prefix[i]);
            }

            _p._hidden.ApplyBounded(_u, _h);
            int skip = _p.Residual ? 1 : 0;
            for (int i = 0; i < d; i++)
            {
                _h[i] = ClampActivation(Math.Max(0L, _h[i]) + (skip * (long)_u[i]));
            }

            _p._heads[level].ApplyBounded(_h, _logits);
            Normalize(_logits, Freq, Start);
        }

        public void Accept(int level, int token)
        {
            int d = _p.Width;
            ReadOnlySpan<int> cur = _p._current[level].AsSpan(token * d, d);
            ReadOnlySpan<int> past = _p._past[level].AsSpan(token * d, d);
            for (int i = 0; i < d; i++)
            {
                _prefix[i] = ClampActivation((long)_prefix[i] + cur[i]);
                _frame[i] += past[i];
            }
        }

        public void EndFrame()
        {
            int[] slot = _history[_frames % _history.Length];
            for (int i = 0; i < slot.Length; i++)
            {
                slot[i] = ClampActivation(_frame[i]);
            }

            _frames++;
        }

        private int[] Source(int j)
        {
            if (_gridWidth == 0)
            {
                return j < _frames ? _history[(_frames - 1 - j) % _history.Length] : _p._start;
            }

            (int dy, int dx) = Neighbours[j];
            int y = (_frames / _gridWidth) + dy, x = (_frames % _gridWidth) + dx;
            return y < 0 || x < 0 || x >= _gridWidth ? _p._start : _history[((y % 3) * _gridWidth) + x];
        }

        /// <summary>Integer softmax to frequencies summing to 2^16, each at least 1 (spec §5b).</summary>
        private static void Normalize(int[] logits, int[] freq, int[] start)
        {
            int[] table = ExpTable.Value;
            int k = logits.Length, max = int.MinValue, argmax = 0;
            for (int i = 0; i < k; i++)
            {
                if (logits[i] > max)
                {
                    max = logits[i];
                    argmax = i;
                }
            }

            long sum = 0;
            for (int i = 0; i < k; i++)
            {
                long z = (long)max - logits[i];
                int e = z < ExpTableLength ? table[z] : 0;
                freq[i] = e;
                sum += e;
            }

            long inv = ((long)(Coding.FrequencyTable.Total - k) << 32) / sum;
            int total = 0;
            for (int i = 0; i < k; i++)
            {
                freq[i] = 1 + (int)((freq[i] * inv) >> 32);
                total += freq[i];
            }

            freq[argmax] += Coding.FrequencyTable.Total - total;
            start[0] = 0;
            for (int i = 0; i < k; i++)
            {
                start[i + 1] = start[i] + freq[i];
            }
        }
    }

    /// <summary>
    /// y_i = round(M_i · Σ_j W_ij x_j / 2^16) + b_i with int8 weights, held widened to int and transposed (input-major)
    /// so that every output accumulates at once, one input at a time, in vector lanes: integer sums wrap identically
    /// in any order and lane width, so this is the arithmetic of spec §5b exactly, with or without hardware vectors.
    /// </summary>
    private sealed class IntLinear
    {
        private readonly int _inputs;
        private readonly int _outputs;
        private readonly int[] _columns;
        private readonly short[]? _pairs;
        private readonly int[] _multipliers;
        private readonly int[] _biases;

        private IntLinear(int inputs, int outputs, int[] columns, int[] multipliers, int[] biases)
        {
            _inputs = inputs;
            _outputs = outputs;
            _columns = columns;
            _multipliers = multipliers;
            _biases = biases;
            if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && outputs % 8 == 0)
            {
                // For AVX2's multiply-add of 16-bit pairs: per pair of inputs (j, j+1) and block of 8 outputs, the 16
                // weights w(o, j), w(o, j+1) of each output o in turn (the last pair's second input 0 when inputs are odd).
                int blocks = outputs / 8;
                _pairs = new short[((inputs + 1) / 2) * blocks * 16];
                for (int j = 0; j < inputs; j++)
                {
                    for (int o = 0; o < outputs; o++)
                    {
                        _pairs[((((j / 2) * blocks) + (o / 8)) * 16) + ((o % 8) * 2) + (j % 2)] = (short)columns[(j * outputs) + o];
                    }
                }
            }
        }

        public static IntLinear Read(ref SpanReader r, int outputs, int inputs)
        {
            var m = new int[outputs];
            for (int i = 0; i < outputs; i++)
            {
                m[i] = r.Multiplier();
            }

            int[] b = r.Ints(outputs);
            ReadOnlySpan<byte> q = r.Bytes(outputs * inputs);
            var columns = new int[q.Length];
            for (int o = 0; o < outputs; o++)
            {
                for (int j = 0; j < inputs; j++)
                {
                    columns[(j * outputs) + o] = (sbyte)q[(o * inputs) + j];
                }
            }

            return new IntLinear(inputs, outputs, columns, m, b);
        }

        /// <summary>
        /// <see cref="Apply"/> for inputs known to lie in ±16383 (clamped activations): on AVX2 the products are
        /// summed two inputs at a time by a 16-bit multiply-add (|w| ≤ 128, so no pair can saturate); the same
        /// integer sums, so the same outputs as <see cref="Apply"/>.
        /// </summary>
        public void ApplyBounded(ReadOnlySpan<int> x, Span<int> y)
        {
            if (_pairs is null)
            {
                Apply(x, y);
                return;
            }

            y.Clear();
            Span<System.Runtime.Intrinsics.Vector256<int>> acc = System.Runtime.InteropServices.MemoryMarshal.Cast<int, System.Runtime.Intrinsics.Vector256<int>>(y);
            ReadOnlySpan<System.Runtime.Intrinsics.Vector256<short>> w = System.Runtime.InteropServices.MemoryMarshal.Cast<short, System.Runtime.Intrinsics.Vector256<short>>(_pairs);
            int blocks = acc.Length;
            for (int j = 0, pair = 0; j < _inputs; j += 2, pair++)
            {
                int a = x[j], b = j + 1 < _inputs ? x[j + 1] : 0;
                if ((a | b) == 0)
                {
                    continue;
                }

                var xv = System.Runtime.Intrinsics.Vector256.AsInt16(System.Runtime.Intrinsics.Vector256.Create((a & 0xFFFF) | (b << 16)));
                ReadOnlySpan<System.Runtime.Intrinsics.Vector256<short>> row = w.Slice(pair * blocks, blocks);
                for (int v = 0; v < blocks; v++)
                {
                    acc[v] = System.Runtime.Intrinsics.X86.Avx2.Add(acc[v], System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(row[v], xv));
                }
            }

            Finish(y);
        }

        public void Apply(ReadOnlySpan<int> x, Span<int> y)
        {
            y.Clear();
            Span<Vector<int>> lanes = System.Runtime.InteropServices.MemoryMarshal.Cast<int, Vector<int>>(y);
            int tail = lanes.Length * Vector<int>.Count;
            for (int j = 0; j < _inputs; j++)
            {
                int xj = x[j];
                if (xj == 0)
                {
                    continue;
                }

                ReadOnlySpan<int> column = _columns.AsSpan(j * _outputs, _outputs);
                ReadOnlySpan<Vector<int>> w = System.Runtime.InteropServices.MemoryMarshal.Cast<int, Vector<int>>(column);
                var xv = new Vector<int>(xj);
                for (int v = 0; v < lanes.Length; v++)
                {
                    lanes[v] += w[v] * xv;
                }

                for (int o = tail; o < _outputs; o++)
                {
                    y[o] += column[o] * xj;
                }
            }

            Finish(y);
        }

        /// <summary>The accumulated sums in <paramref name="y"/> become outputs: rescaled by the row multipliers, biases added.</summary>
        private void Finish(Span<int> y)
        {
            for (int o = 0; o < _outputs; o++)
            {
                y[o] = Rescale(y[o], _multipliers[o]) + _biases[o];
            }
        }
    }

    private ref struct SpanReader
    {
        private readonly ReadOnlySpan<byte> _data;

        public SpanReader(ReadOnlySpan<byte> data)
        {
            _data = data;
        }

        public int Position { get; private set; }

        public ReadOnlySpan<byte> Bytes(int n)
        {
            if (n < 0 || _data.Length - Position < n)
            {
                throw new VqcFormatException("context prior truncated", Position);
            }

            ReadOnlySpan<byte> s = _data.Slice(Position, n);
            Position += n;
            return s;
        }

        public byte U8() => Bytes(1)[0];

        public int U16() => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2));

        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));

        public int Multiplier()
        {
            int m = (int)U32();
            return m is >= 0 and <= MaxParameter ? m : throw new VqcFormatException("context prior multiplier out of range", Position - 4);
        }

        public int[] Ints(int n)
        {
            var v = new int[n];
            for (int i = 0; i < n; i++)
            {
                v[i] = (int)U32();
                if (v[i] is < -MaxParameter or > MaxParameter)
                {
                    throw new VqcFormatException("context prior parameter out of range", Position - 4);
                }
            }

            return v;
        }
    }
}

/// <summary>One quantized linear layer: int8 weights (rows × inputs, row-major), a Q16 multiplier per row, Q9 biases.</summary>
public sealed record QuantizedLinear(sbyte[] Weights, int[] Multipliers, int[] Biases);

/// <summary>The quantized parameters of a <see cref="ContextPrior"/> (produced by the trainer's exporter).</summary>
public sealed record ContextPriorParameters
{
    /// <summary>Codebook size K of every level.</summary>
    public required int CodebookSize { get; init; }

    /// <summary>Hidden width D.</summary>
    public required int Width { get; init; }

    /// <summary>Context frames C.</summary>
    public required int ContextFrames { get; init; }

    /// <summary>The hidden layer adds its input back (flag bit 0).</summary>
    public bool Residual { get; init; }

    /// <summary>Sequence or grid context (flag bit 1).</summary>
    public ContextLayout Layout { get; init; }

    /// <summary>Per level: Q16 multiplier and K × D int8 embedding of past frames' tokens.</summary>
    public required (int Multiplier, sbyte[] Values)[] Past { get; init; }

    /// <summary>Per level: Q16 multiplier and K × D int8 embedding of the current frame's lower levels.</summary>
    public required (int Multiplier, sbyte[] Values)[] Current { get; init; }

    /// <summary>Q9 vector standing in for frames before the segment's start (D).</summary>
    public required int[] Start { get; init; }

    /// <summary>Q9 bias of the context layer per file level count (levels × D, row L−1 for L levels).</summary>
    public required int[] LevelCount { get; init; }

    /// <summary>Q9 embedding of the level being predicted (levels × D).</summary>
    public required int[] LevelEmbedding { get; init; }

    /// <summary>Context layer: D × (C·D).</summary>
    public required QuantizedLinear Context { get; init; }

    /// <summary>Hidden layer: D × D.</summary>
    public required QuantizedLinear Hidden { get; init; }

    /// <summary>Output layer per level: K × D.</summary>
    public required QuantizedLinear[] Heads { get; init; }
}
