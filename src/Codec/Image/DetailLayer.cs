using VqCodec.Container;

namespace VqCodec.Codec.Image;

/// <summary>
/// The detail layer of an image (the <c>DETL</c> chunk, spec/container.md §7a): the residual between the
/// source and the image decoded from the tokens, in YCbCr (BT.601, full range), cut into 32×32 macroblocks, each a
/// quadtree of 32×32, 16×16 and 8×8 blocks (syntax version 3; versions 1 and 2, with 8×8 and 16×16 macroblocks,
/// are still decoded and version 2 can be written for comparisons),
/// transformed by the orthonormal DCT-II, quantized by a uniform scalar quantizer with a dead zone
/// (encoder choice) and coded with the adaptive binary range coder. The decoder adds the reconstructed
/// residual to the token-decoded pixels, rounds and clamps. Processing runs one row of macroblocks at a time,
/// so memory is a few rows of the image whatever its size.
/// </summary>
internal static class DetailLayer
{
    /// <summary>Quantizer steps are stored in 1/16 of an 8-bit pixel level.</summary>
    public const int StepUnits = DetailLayerHeader.StepUnits;

    /// <summary>
    /// Chroma step as a multiple of the luma step (encoder choice; stored in the payload). 1.5 until 2026-11-28; with
    /// 16×16 blocks and the second restorer, 8 validation photographs gave BD-rate −1.7 % (PSNR) and −1.9 % (MS-SSIM)
    /// for 1.0 against 1.5 (1.25: −1.4 / −1.2 %; 2.0: +3.8 / +2.8 %).
    /// </summary>
    public const double ChromaStepRatio = 1.0;

    /// <summary>Rounding offset subtracted before truncation: a dead zone that favours zero (encoder choice).</summary>
    public const double DeadZone = 0.3;

    /// <summary>DCT bases of side 8, 16 and 32 (index: <see cref="DetailLayerSyntax.SideClass"/>) and their transposes.</summary>
    private static readonly double[][] Bases = [BuildBasis(8), BuildBasis(16), BuildBasis(32)];
    private static readonly double[][] BasesT = [Transposed(Bases[0], 8), Transposed(Bases[1], 16), Transposed(Bases[2], 32)];

    /// <summary>Codes the residual <paramref name="source"/> − <paramref name="decoded"/> with luma step <paramref name="step"/> (pixel levels).</summary>
    /// <remarks>
    /// Per 32×32 macroblock and component the encoder codes the quadtree of blocks (one 32×32 block, or per quarter one
    /// 16×16 block or four 8×8 blocks) that costs the least distortion + λ·bits. With <paramref name="lumaOnly"/> (a
    /// greyscale source, whose decoder output is converted to grey) every chroma macroblock is coded as one empty
    /// block: its residual would be discarded by the conversion. <paramref name="version"/> selects the syntax (2 or
    /// 3; 1 is read only) for comparisons; the default is the current one.
    /// </remarks>
    public static byte[] Encode(RgbImage source, RgbImage decoded, double step, CancellationToken cancellationToken = default, bool lumaOnly = false, IProgress<ImageCodingProgress>? progress = null, byte version = DetailLayerHeader.CurrentVersion)
    {
        int lumaUnits = StepToUnits(step), chromaUnits = StepToUnits(step * ChromaStepRatio);
        int w = source.Width, h = source.Height, m = DetailLayerSyntax.MacroblockSize(version);
        if (m == DetailLayerSyntax.BlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, "syntax version 1 is read, not written");
        }

        (int across, int down) = DetailLayerSyntax.MacroblockCounts(version, w, h);
        int pw = across * m;
        var writer = new DetailPayloadWriter(new DetailLayerHeader(version, (ushort)lumaUnits, (ushort)chromaUnits), w, h);
        var band = new[] { new double[m * pw], new double[m * pw], new double[m * pw] };

        // A row's blocks of every side are transformed and quantized in parallel (each block on its own), then the
        // rate-distortion choices and the coding run in order, since every price depends on the adaptive contexts before it.
        int components = lumaOnly ? 1 : 3;
        var trees = new BlockTree[components * across];
        for (int i = 0; i < trees.Length; i++)
        {
            trees[i] = new BlockTree(m);
        }

        var empty = new int[m * m];
        for (int by = 0; by < down; by++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new ImageCodingProgress("detail layer", by, down));
            for (int y = 0; y < m; y++)
            {
                int sy = Math.Min((by * m) + y, h - 1);
                for (int x = 0; x < pw; x++)
                {
                    int i = ((sy * w) + Math.Min(x, w - 1)) * 3;
                    (band[0][(y * pw) + x], band[1][(y * pw) + x], band[2][(y * pw) + x]) = ToYCbCr(
                        source.Pixels[i] - decoded.Pixels[i], source.Pixels[i + 1] - decoded.Pixels[i + 1], source.Pixels[i + 2] - decoded.Pixels[i + 2]);
                }
            }

            Parallel.For(0, components * across, new ParallelOptions { CancellationToken = cancellationToken }, j =>
            {
                int c = j / across, bx = j % across;
                trees[j].Quantize(band[c], pw, bx * m, (c == 0 ? lumaUnits : chromaUnits) / (double)StepUnits);
            });

            for (int c = 0; c < 3; c++)
            {
                for (int bx = 0; bx < across; bx++)
                {
                    if (c >= components)
                    {
                        writer.WriteSize(true);
                        writer.WriteBlock(empty, -1);
                        continue;
                    }

                    trees[(c * across) + bx].Code(writer, 0, 0, m);
                }
            }
        }

        progress?.Report(new ImageCodingProgress("detail layer", down, down));
        return writer.ToPayload();
    }

    /// <summary>Decodes <paramref name="payload"/> (syntax version 1, 2 or 3) and adds the residual to <paramref name="image"/>'s pixels in place, recording its block edges in <paramref name="map"/> when one is given.</summary>
    /// <exception cref="VqcFormatException">The payload is malformed (offsets are within the payload).</exception>
    public static void Apply(byte[] payload, RgbImage image, CancellationToken cancellationToken = default, IProgress<ImageCodingProgress>? progress = null, DetailBlockMap? map = null)
    {
        int w = image.Width, h = image.Height;
        var reader = new DetailPayloadReader(payload, w, h);
        int lumaUnits = reader.Header.LumaStepUnits, chromaUnits = reader.Header.ChromaStepUnits, m = reader.MacroblockSize;
        (int across, int down) = DetailLayerSyntax.MacroblockCounts(reader.Header.Version, w, h);
        int pw = across * m;
        var levels = new int[DetailLayerSyntax.MaxCoefficients];
        var band = new[] { new double[m * pw], new double[m * pw], new double[m * pw] };
        var block = new double[DetailLayerSyntax.MaxCoefficients];
        for (int by = 0; by < down; by++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new ImageCodingProgress("detail layer", by, down));
            while (!reader.Done && reader.MacroblockRow == by)
            {
                bool coded = reader.ReadBlock(levels, out DetailBlockPlacement p);
                int side = p.Side, n = side * side, y0 = p.Y - (by * m);
                map?.Mark(p.X, p.Y, side, coded);
                Array.Clear(block, 0, n);
                if (coded)
                {
                    double q = (p.Component == 0 ? lumaUnits : chromaUnits) / (double)StepUnits;
                    ReadOnlySpan<int> zigzag = DetailLayerSyntax.ZigzagOf(side);
                    for (int k = 0; k < n; k++)
                    {
                        block[zigzag[k]] = levels[k] * q;
                    }

                    Transform(block, side, inverse: true);
                }

                for (int y = 0; y < side; y++)
                {
                    Array.Copy(block, y * side, band[p.Component], ((y0 + y) * pw) + p.X, side);
                }
            }

            for (int y = 0; y < Math.Min(m, h - (by * m)); y++)
            {
                for (int x = 0; x < w; x++)
                {
                    int j = (y * pw) + x, i = ((((by * m) + y) * w) + x) * 3;
                    (double r, double g, double b) = ToRgb(band[0][j], band[1][j], band[2][j]);
                    image.Pixels[i] = AddClamped(image.Pixels[i], r);
                    image.Pixels[i + 1] = AddClamped(image.Pixels[i + 1], g);
                    image.Pixels[i + 2] = AddClamped(image.Pixels[i + 2], b);
                }
            }
        }

        progress?.Report(new ImageCodingProgress("detail layer", down, down));
    }

    private static int StepToUnits(double step) => (int)Math.Clamp(Math.Round(step * StepUnits), 1, ushort.MaxValue);

    /// <summary><paramref name="value"/> + <paramref name="residual"/>, rounded half away from zero and clamped to a byte.</summary>
    internal static byte AddClamped(byte value, double residual) => (byte)Math.Clamp(Math.Round(value + residual, MidpointRounding.AwayFromZero), 0, 255);

    private static (double Y, double Cb, double Cr) ToYCbCr(double r, double g, double b) =>
        ((0.299 * r) + (0.587 * g) + (0.114 * b), (-0.168736 * r) - (0.331264 * g) + (0.5 * b), (0.5 * r) - (0.418688 * g) - (0.081312 * b));

    private static (double R, double G, double B) ToRgb(double y, double cb, double cr) =>
        (y + (1.402 * cr), y - (0.344136 * cb) - (0.714136 * cr), y + (1.772 * cb));

    /// <summary>
    /// Rate-distortion weight of the encoder's choices (where a block ends, and at each size flag one block or four
    /// quarters), in squared quantizer steps per bit (encoder choice). Measured on 5 validation photographs for the
    /// end choice: 0.1 gains 0.04–0.05 dB at equal rate over no choice; 0.2 and 0.35 lose. (High-rate theory for a
    /// uniform quantizer gives ln 2 / 6 ≈ 0.116.)
    /// </summary>
    private const double Lambda = 0.1;

    /// <summary>
    /// In-place separable orthonormal DCT-II of side <paramref name="n"/> (8, 16 or 32), or its inverse, of a row-major block.
    /// Each output is the sum over i, in ascending order, of basis × input products, as a scalar loop would add them; the
    /// rows are worked as whole vectors (an output row accumulates input rows scaled by one basis entry each), so the
    /// result is the same to the last bit (no fused multiply-adds) at a fraction of the time.
    /// </summary>
    private static void Transform(double[] block, int n, bool inverse)
    {
        // Rows: tmp[y, ·] = Σ_i block[y, i] · R[i, ·]; columns: out[k, ·] = Σ_i C[k, i] · tmp[i, ·].
        // Forward: R = Bᵀ, C = B; inverse: R = B, C = Bᵀ (B[k, i] the basis).
        int sideClass = DetailLayerSyntax.SideClass(n);
        double[] rows = inverse ? Bases[sideClass] : BasesT[sideClass];
        double[] cols = inverse ? BasesT[sideClass] : Bases[sideClass];
        Span<double> tmp = stackalloc double[DetailLayerSyntax.MaxCoefficients];
        MultiplyRows<double>(block, rows, tmp, n, n);
        MultiplyRows<double>(cols, tmp, block, n, n);
    }

    /// <summary>
    /// The encoder's forward 32×32 DCT-II (the same coefficients as <see cref="Transform"/> to single precision, about 4×
    /// faster): each 32-point transform splits into the 16-point DCT of the sums x[n] + x[31 − n], which gives the even
    /// coefficients (scaled by 1/√2), and a 16 × 16 product with the differences, which gives the odd ones, in
    /// single-precision vectors. Not normative: the decoder's inverse is <see cref="Transform"/>'s, and the encoder may
    /// transform as it likes.
    /// </summary>
    internal static void Forward32(double[] block)
    {
        const int N = DetailLayerSyntax.MaxBlockSize, H = N / 2;
        Span<float> a = stackalloc float[N * N], b = stackalloc float[N * N];
        for (int i = 0; i < N * N; i++)
        {
            a[i] = (float)block[i];
        }

        Forward32Pass(a, b);
        Forward32Pass(b, a);
        for (int i = 0; i < N * N; i++)
        {
            block[i] = a[i];
        }

        static void Forward32Pass(ReadOnlySpan<float> source, Span<float> transposed)
        {
            Span<float> sums = stackalloc float[N * H], differences = stackalloc float[N * H], even = stackalloc float[N * H], odd = stackalloc float[N * H];
            for (int y = 0; y < N; y++)
            {
                for (int n = 0; n < H; n++)
                {
                    float left = source[(y * N) + n], right = source[(y * N) + N - 1 - n];
                    sums[(y * H) + n] = left + right;
                    differences[(y * H) + n] = left - right;
                }
            }

            MultiplyRows<float>(sums, EvenBasis32, even, N, H);
            MultiplyRows<float>(differences, OddBasis32, odd, N, H);
            for (int y = 0; y < N; y++)
            {
                for (int k = 0; k < H; k++)
                {
                    transposed[(2 * k * N) + y] = even[(y * H) + k];
                    transposed[(((2 * k) + 1) * N) + y] = odd[(y * H) + k];
                }
            }
        }
    }

    /// <summary>EvenBasis32[n·16 + k] = basis32[2k, n] (= basis16[k, n] / √2) for n, k &lt; 16: the even coefficients from the sums.</summary>
    private static readonly float[] EvenBasis32 = HalfBasis32(odd: false);

    /// <summary>OddBasis32[n·16 + k] = basis32[2k + 1, n] for n, k &lt; 16: the odd coefficients from the differences.</summary>
    private static readonly float[] OddBasis32 = HalfBasis32(odd: true);

    private static float[] HalfBasis32(bool odd)
    {
        const int N = DetailLayerSyntax.MaxBlockSize, H = N / 2;
        double[] basis = Bases[DetailLayerSyntax.SideClass(N)];
        var half = new float[H * H];
        for (int n = 0; n < H; n++)
        {
            for (int k = 0; k < H; k++)
            {
                half[(n * H) + k] = (float)basis[(((2 * k) + (odd ? 1 : 0)) * N) + n];
            }
        }

        return half;
    }

    /// <summary>
    /// output[r, ·] = Σ_i left[r, i] · right[i, ·] for a <paramref name="rows"/> × n matrix by an n × n one, row-major, i
    /// ascending (the inverse transform's normative order in double precision; the encoder's 32-point halves in single).
    /// </summary>
    private static void MultiplyRows<T>(ReadOnlySpan<T> left, ReadOnlySpan<T> right, Span<T> output, int rows, int n)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        int width = System.Numerics.Vector<T>.Count;
        for (int r = 0; r < rows; r++)
        {
            Span<T> o = output.Slice(r * n, n);
            ReadOnlySpan<T> l = left.Slice(r * n, n);
            for (int x = 0; x + width <= n; x += width)
            {
                var acc = System.Numerics.Vector<T>.Zero;
                for (int i = 0; i < n; i++)
                {
                    acc += l[i] * new System.Numerics.Vector<T>(right.Slice((i * n) + x, width));
                }

                acc.CopyTo(o.Slice(x, width));
            }

            for (int x = n - (n % width); x < n; x++)
            {
                T sum = T.Zero;
                for (int i = 0; i < n; i++)
                {
                    sum += l[i] * right[(i * n) + x];
                }

                o[x] = sum;
            }
        }
    }

    private static double[] Transposed(double[] m, int n)
    {
        var t = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < n; k++)
            {
                t[(k * n) + i] = m[(i * n) + k];
            }
        }

        return t;
    }

    /// <summary>Basis[k·n + i] = c(k) cos(π (2i + 1) k / 2n), c(0) = √(1/n), c(k) = √(2/n).</summary>
    private static double[] BuildBasis(int n)
    {
        var basis = new double[n * n];
        for (int k = 0; k < n; k++)
        {
            for (int i = 0; i < n; i++)
            {
                basis[(k * n) + i] = (k == 0 ? Math.Sqrt(1.0 / n) : Math.Sqrt(2.0 / n)) * Math.Cos(Math.PI * ((2 * i) + 1) * k / (2 * n));
            }
        }

        return basis;
    }

    /// <summary>
    /// The encoder's candidates for one macroblock of one component: every block of every side the syntax allows (for a
    /// 32×32 macroblock one 32×32, four 16×16 and sixteen 8×8 blocks), quantized up front, and the rate-distortion walk
    /// of its quadtree.
    /// </summary>
    private sealed class BlockTree
    {
        private readonly int _macroblock;

        /// <summary>Blocks per side class (8, 16, 32), row-major within the macroblock.</summary>
        private readonly QuantizedBlock[][] _blocks;

        public BlockTree(int macroblock)
        {
            _macroblock = macroblock;
            _blocks = new QuantizedBlock[DetailLayerSyntax.SideClass(macroblock) + 1][];
            for (int t = 0; t < _blocks.Length; t++)
            {
                int side = DetailLayerSyntax.BlockSize << t, per = macroblock / side;
                _blocks[t] = [.. Enumerable.Range(0, per * per).Select(_ => new QuantizedBlock(side))];
            }
        }

        /// <summary>Transforms and quantizes every candidate block of the macroblock at column <paramref name="x0"/> of the band (row stride <paramref name="stride"/>) with step <paramref name="q"/>.</summary>
        public void Quantize(double[] band, int stride, int x0, double q)
        {
            for (int t = 0; t < _blocks.Length; t++)
            {
                int side = DetailLayerSyntax.BlockSize << t, per = _macroblock / side;
                for (int i = 0; i < _blocks[t].Length; i++)
                {
                    _blocks[t][i].Quantize(band, stride, x0 + (i % per * side), i / per * side, q);
                }
            }
        }

        /// <summary>
        /// Codes the region of <paramref name="side"/> at (<paramref name="x"/>, <paramref name="y"/>) within the
        /// macroblock: at its size flag, one block or four quarters, whichever <see cref="Cost"/> prices lower with the
        /// contexts as they stand; each quarter decides again when its turn comes.
        /// </summary>
        public void Code(DetailPayloadWriter writer, int x, int y, int side)
        {
            if (writer.AtSizeFlag)
            {
                bool whole = WholeCost(writer, x, y, side) < SplitCost(writer, x, y, side);
                writer.WriteSize(whole);
                if (!whole)
                {
                    int half = side / 2;
                    for (int q = 0; q < 4; q++)
                    {
                        Code(writer, x + (q % 2 * half), y + (q / 2 * half), half);
                    }

                    return;
                }
            }

            QuantizedBlock b = Block(x, y, side);
            // Chosen again with the block's own contexts (the prices at the flags used the region's first block's).
            b.Choose(writer, null);
            b.Apply();
            writer.WriteBlock(b.Levels, b.Last);
        }

        /// <summary>The least distortion + λ·bits of the region, every candidate priced with the contexts of the next flag's position.</summary>
        private double Cost(DetailPayloadWriter writer, int x, int y, int side) =>
            side == DetailLayerSyntax.BlockSize ? Block(x, y, side).Choose(writer, side) : Math.Min(WholeCost(writer, x, y, side), SplitCost(writer, x, y, side));

        private double WholeCost(DetailPayloadWriter writer, int x, int y, int side) =>
            Block(x, y, side).Choose(writer, side) + (Lambda * writer.SizeBits(true, side));

        private double SplitCost(DetailPayloadWriter writer, int x, int y, int side)
        {
            int half = side / 2;
            double cost = Lambda * writer.SizeBits(false, side);
            for (int q = 0; q < 4; q++)
            {
                cost += Cost(writer, x + (q % 2 * half), y + (q / 2 * half), half);
            }

            return cost;
        }

        private QuantizedBlock Block(int x, int y, int side) => _blocks[DetailLayerSyntax.SideClass(side)][((y / side) * (_macroblock / side)) + (x / side)];
    }

    /// <summary>One block of the encoder: its transform, dead-zone levels and the rate-distortion choice of where it ends.</summary>
    private sealed class QuantizedBlock(int side)
    {
        private readonly double[] _pixels = new double[side * side];
        private readonly double[] _scaled = new double[side * side];
        private readonly double[] _ends = new double[(side * side) + 1];
        private int _last;
        private double _kept;

        /// <summary>Levels in zigzag order (after <see cref="Apply"/>, ending at <see cref="Last"/>).</summary>
        public int[] Levels { get; } = new int[side * side];

        /// <summary>The chosen last index (−1: not coded).</summary>
        public int Last { get; private set; }

        /// <summary>Transforms the side×side block at (x0, y0) of <paramref name="band"/> (row stride <paramref name="stride"/>) and quantizes it with step <paramref name="q"/>.</summary>
        public void Quantize(double[] band, int stride, int x0, int y0, double q)
        {
            for (int y = 0; y < side; y++)
            {
                Array.Copy(band, ((y0 + y) * stride) + x0, _pixels, y * side, side);
            }

            if (side == DetailLayerSyntax.MaxBlockSize)
            {
                Forward32(_pixels);
            }
            else
            {
                Transform(_pixels, side, inverse: false);
            }

            ReadOnlySpan<int> zigzag = DetailLayerSyntax.ZigzagOf(side);
            _last = -1;
            for (int k = 0; k < _scaled.Length; k++)
            {
                double v = _pixels[zigzag[k]] / q;
                _scaled[k] = v;
                int m = Math.Max(0, (int)Math.Floor(Math.Abs(v) + 0.5 - DeadZone));
                Levels[k] = v < 0 ? -m : m;
                if (m != 0)
                {
                    _last = k;
                }
            }

            // The distortion of the levels as quantized (squared steps), summed once here: every pricing of the block starts from it.
            _kept = 0;
            for (int k = 0; k <= _last; k++)
            {
                double e = _scaled[k] - Levels[k];
                _kept += e * e;
            }

            for (int k = _last + 1; k < _scaled.Length; k++)
            {
                _kept += _scaled[k] * _scaled[k];
            }
        }

        /// <summary>
        /// Chooses where the block ends (every level after it set to zero, or the whole block skipped) by minimising
        /// distortion + λ·bits, every end priced in one pass by the writer's current probabilities (at a size flag as a
        /// block of side <paramref name="side"/>, else as the next block). Returns that cost, the
        /// distortion in squared steps over the whole block; <see cref="Apply"/> then zeroes the dropped levels.
        /// </summary>
        public double Choose(DetailPayloadWriter writer, int? side)
        {
            Last = _last;
            Span<double> ends = _ends.AsSpan(0, _last + 2);
            writer.PriceEnds(Levels, _last, ends, side);
            double best = Lambda * ends[_last + 1], extra = 0;
            for (int k = _last; k >= 0; k--)
            {
                if (Levels[k] == 0)
                {
                    continue;
                }

                // Distortion added by zeroing level k (in squared steps): v² − (v − level)².
                double v = _scaled[k], e = v - Levels[k];
                extra += (v * v) - (e * e);
                int previous = k - 1;
                while (previous >= 0 && Levels[previous] == 0)
                {
                    previous--;
                }

                double cost = extra + (Lambda * ends[previous + 1]);
                if (cost < best)
                {
                    (best, Last) = (cost, previous);
                }
            }

            return _kept + best;
        }

        /// <summary>Zeroes the levels after <see cref="Last"/> (for writing: the block is not priced again until quantized anew).</summary>
        public void Apply()
        {
            for (int k = Last + 1; k <= _last; k++)
            {
                Levels[k] = 0;
            }

            _last = Last;
        }
    }
}
