using System.Buffers.Binary;
using System.Numerics;

namespace VqCodec.Container;

/// <summary>
/// A learned autoregressive token prior for segmented (speech) token grids, evaluated in integer arithmetic
/// only so that encoder and decoder compute identical probabilities on every machine (spec §5b). It predicts
/// token (t, l) of a segment from the tokens of the segment's previous <see cref="ContextFrames"/> frames (all
/// the file's levels) and from levels 0..l−1 of frame t. It ships inside a model's <see cref="TokenPriors"/>,
/// so the header's priors hash names it.
/// </summary>
public sealed class ContextPrior
{
    /// <summary>Fixed-point fraction bits of every activation, embedding and bias (Q9: 1.0 = 512).</summary>
    public const int FractionBits = 9;

    /// <summary>Activations and embedding sums are clamped to ±ActivationLimit (±32 in real units).</summary>
    public const int ActivationLimit = 16383;

    /// <summary>Exponent table length: exp(−z/512) for z in [0, ExpTableLength); beyond it the weight is 0.</summary>
    public const int ExpTableLength = 24 * 512;

    private const uint Magic = 0x50435156; // "VQCP"
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

    private ContextPrior(int levels, int codebookSize, int width, int contextFrames, bool residual, int[][] past, int[][] current, int[] start, int[] levelCount, int[] levelEmbedding, IntLinear context, IntLinear hidden, IntLinear[] heads, byte[] serialized)
    {
        Levels = levels;
        CodebookSize = codebookSize;
        Width = width;
        ContextFrames = contextFrames;
        Residual = residual;
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

    /// <summary>Previous frames of the segment the prior sees (C).</summary>
    public int ContextFrames { get; }

    /// <summary>True when the hidden layer adds its input back: h = clamp(relu(B·u) + u) instead of clamp(relu(B·u)).</summary>
    public bool Residual { get; }

    /// <summary>True when this prior can code a file with these levels (count ≤ <see cref="Levels"/>, every codebook of <see cref="CodebookSize"/>).</summary>
    public bool Covers(IReadOnlyList<int> codebookSizes)
    {
        ArgumentNullException.ThrowIfNull(codebookSizes);
        return codebookSizes.Count >= 1 && codebookSizes.Count <= Levels && codebookSizes.All(k => k == CodebookSize);
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
        if ((flags & ~1) != 0 || levels is < 1 or > VqcLimits.MaxLevels || k is < 2 or > VqcLimits.MaxEntropyCodedCodebook
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

        return new ContextPrior(levels, k, d, c, (flags & 1) != 0, past, current, start, levelCount, levelEmbedding, context, hidden, heads, data.ToArray());
    }

    /// <summary>Codes one segment's planes (levels × frames) as one rANS stream in frame order, levels in order within a frame.</summary>
    internal byte[] Encode(IReadOnlyList<int[]> planes)
    {
        int levels = planes.Count, frames = planes[0].Length, i = 0;
        var starts = new int[levels * frames];
        var freqs = new int[levels * frames];
        Walk(levels, frames, (t, l, state) =>
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
    internal bool Decode(ReadOnlyMemory<byte> data, int[][] planes, double[] bits)
    {
        var decoder = new Coding.RansDecoder(data);
        return Walk(planes.Length, planes[0].Length, (t, l, state) =>
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
    public double[] IdealBits(IReadOnlyList<int[]> planes)
    {
        ArgumentNullException.ThrowIfNull(planes);
        var bits = new double[planes.Count];
        Walk(planes.Count, planes[0].Length, (t, l, state) =>
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
    public int[][] Sample(int levels, int frames, Random random, double temperature = 1.0)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(levels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(levels, Levels);
        ArgumentOutOfRangeException.ThrowIfNegative(frames);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(temperature);
        var planes = Enumerable.Range(0, levels).Select(_ => new int[frames]).ToArray();
        var weights = new double[CodebookSize];
        Walk(levels, frames, (t, l, state) =>
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
    /// The one evaluation order of a segment: frame by frame, level by level, the distribution of token (t, l) is
    /// computed and <paramref name="next"/> names the token (from the planes, the stream or a draw); false when it
    /// returns −1 (a stream that ran out).
    /// </summary>
    private bool Walk(int levels, int frames, Func<int, int, State, int> next)
    {
        var state = new State(this, levels);
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

    private static int Dot(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        // Integer arithmetic wraps identically in every order and lane width, so the vector and scalar paths agree.
        int i = 0, sum = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<int>.Count)
        {
            var acc = Vector<int>.Zero;
            for (; i <= a.Length - Vector<int>.Count; i += Vector<int>.Count)
            {
                acc += new Vector<int>(a[i..]) * new Vector<int>(b[i..]);
            }

            sum = Vector.Sum(acc);
        }

        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
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
        w.Write((byte)(p.Residual ? 1 : 0));
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
        private readonly int[] _frame;
        private readonly int[] _input;
        private readonly int[] _context;
        private readonly int[] _prefix;
        private readonly int[] _u;
        private readonly int[] _h;
        private readonly int[] _logits;
        private int _frames;

        public State(ContextPrior p, int levels)
        {
            _p = p;
            _levels = levels;
            int d = p.Width;
            _history = Enumerable.Range(0, p.ContextFrames).Select(_ => new int[d]).ToArray();
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
                // Slot j holds frame t−1−j; frames before the segment's start are the learned start vector.
                int[] source = j < _frames ? _history[(_frames - 1 - j) % _p.ContextFrames] : _p._start;
                source.CopyTo(_input, j * d);
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

            _p._hidden.Apply(_u, _h);
            int skip = _p.Residual ? 1 : 0;
            for (int i = 0; i < d; i++)
            {
                _h[i] = ClampActivation(Math.Max(0L, _h[i]) + (skip * (long)_u[i]));
            }

            _p._heads[level].Apply(_h, _logits);
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
            int[] slot = _history[_frames % _p.ContextFrames];
            for (int i = 0; i < slot.Length; i++)
            {
                slot[i] = ClampActivation(_frame[i]);
            }

            _frames++;
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

    /// <summary>y_i = round(M_i · Σ_j W_ij x_j / 2^16) + b_i with int8 weights (held widened to int).</summary>
    private sealed class IntLinear
    {
        private readonly int _inputs;
        private readonly int[] _weights;
        private readonly int[] _multipliers;
        private readonly int[] _biases;

        private IntLinear(int inputs, int[] weights, int[] multipliers, int[] biases)
        {
            _inputs = inputs;
            _weights = weights;
            _multipliers = multipliers;
            _biases = biases;
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
            var w = new int[q.Length];
            for (int i = 0; i < q.Length; i++)
            {
                w[i] = (sbyte)q[i];
            }

            return new IntLinear(inputs, w, m, b);
        }

        public void Apply(ReadOnlySpan<int> x, Span<int> y)
        {
            for (int o = 0; o < y.Length; o++)
            {
                int acc = Dot(_weights.AsSpan(o * _inputs, _inputs), x);
                y[o] = Rescale(acc, _multipliers[o]) + _biases[o];
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
