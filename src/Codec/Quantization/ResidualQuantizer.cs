namespace VqCodec.Quantization;

/// <summary>
/// Residual quantization: stage m quantizes the residual left by stages 1..m−1 with its own K-codeword
/// k-means codebook; reconstruction is the sum of the chosen codewords. Encoding is greedy (beam width 1)
/// or a beam search that keeps the B best partial sums across stages.
/// </summary>
public class ResidualQuantizer : VectorQuantizer
{
    /// <summary>Creates an unfitted RQ with M stages of K codewords.</summary>
    public ResidualQuantizer(int stages, int codebookSize, int beamWidth = 1, int maxIterations = 30)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stages, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(codebookSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(beamWidth, 1);
        Stages = stages;
        CodebookSize = codebookSize;
        BeamWidth = beamWidth;
        MaxIterations = maxIterations;
    }

    /// <summary>M.</summary>
    public int Stages { get; }

    /// <summary>K.</summary>
    public int CodebookSize { get; }

    /// <summary>Beam width B used by <see cref="Encode"/>.</summary>
    public int BeamWidth { get; set; }

    /// <summary>Lloyd iterations at most per stage.</summary>
    public int MaxIterations { get; }

    /// <summary>Codebooks, one per stage (K×D each).</summary>
    public Matrix[] Codebooks { get; protected set; } = [];

    /// <summary>Training distortion (MSE per vector) after each stage, from fitting.</summary>
    public List<double> StageDistortion { get; } = [];

    /// <inheritdoc />
    public override int CodesPerVector => Stages;

    /// <inheritdoc />
    public override double BitsPerVector => Stages * Math.Log2(CodebookSize);

    /// <inheritdoc />
    public override void Fit(Matrix data, int seed)
    {
        CheckData(data, CodebookSize);
        Matrix residual = data.Clone();
        var books = new Matrix[Stages];
        StageDistortion.Clear();
        for (int m = 0; m < Stages; m++)
        {
            books[m] = KMeansClustering.Fit(residual, CodebookSize, seed + m, MaxIterations);
            var assign = new int[residual.Rows];
            Array.Fill(assign, -1);
            KMeansClustering.Assign(residual, books[m], assign, out float[] dist);
            for (int i = 0; i < residual.Rows; i++)
            {
                Span<float> r = residual.Row(i);
                Span<float> c = books[m].Row(assign[i]);
                for (int j = 0; j < r.Length; j++)
                {
                    r[j] -= c[j];
                }
            }

            StageDistortion.Add(dist.Average(v => (double)v));
        }

        SetCodebooks(books);
    }

    /// <summary>Uses given codebooks (one per stage, each K×D).</summary>
    public void SetCodebooks(Matrix[] books)
    {
        ArgumentNullException.ThrowIfNull(books);
        if (books.Length != Stages || books.Any(b => b.Rows != CodebookSize || b.Cols != books[0].Cols))
        {
            throw new ArgumentException($"{Stages} codebooks of {CodebookSize} rows and equal width expected");
        }

        Codebooks = books;
        Dimension = books[0].Cols;
        IsFitted = true;
    }

    /// <inheritdoc />
    public override void Encode(ReadOnlySpan<float> vector, Span<int> codes) => BeamEncode(Codebooks, vector, codes, BeamWidth);

    /// <inheritdoc />
    public override void Decode(ReadOnlySpan<int> codes, Span<float> vector)
    {
        vector.Clear();
        for (int m = 0; m < codes.Length; m++)
        {
            Span<float> c = Codebooks[m].Row(codes[m]);
            for (int j = 0; j < vector.Length; j++)
            {
                vector[j] += c[j];
            }
        }
    }

    /// <summary>
    /// Beam search over additive codebooks in order: keeps the B partial sums with the smallest error;
    /// lowest index wins ties. B = 1 is greedy residual encoding.
    /// </summary>
    public static void BeamEncode(Matrix[] books, ReadOnlySpan<float> x, Span<int> codes, int beam)
    {
        int d = x.Length, stages = books.Length;
        if (beam == 1)
        {
            Span<float> r = stackalloc float[d];
            x.CopyTo(r);
            for (int m = 0; m < stages; m++)
            {
                codes[m] = VectorMath.Nearest(books[m], r, out _);
                Span<float> c = books[m].Row(codes[m]);
                for (int j = 0; j < d; j++)
                {
                    r[j] -= c[j];
                }
            }

            return;
        }

        // Top-B selection by insertion: candidates are visited in (parent, code) order and a new one is
        // placed after every kept candidate with an equal error, which orders by (error, parent, code).
        var residuals = new float[beam][];
        var paths = new int[beam][];
        residuals[0] = x.ToArray();
        paths[0] = new int[stages];
        int alive = 1;
        var errs = new float[beam];
        var parents = new int[beam];
        var chosen = new int[beam];
        for (int m = 0; m < stages; m++)
        {
            Matrix cb = books[m];
            int kept = 0;
            for (int p = 0; p < alive; p++)
            {
                for (int k = 0; k < cb.Rows; k++)
                {
                    float e = VectorMath.SquaredDistance(residuals[p], cb.Row(k));
                    if (kept == beam && e >= errs[beam - 1])
                    {
                        continue;
                    }

                    int pos = kept < beam ? kept : beam - 1;
                    while (pos > 0 && errs[pos - 1] > e)
                    {
                        errs[pos] = errs[pos - 1];
                        parents[pos] = parents[pos - 1];
                        chosen[pos] = chosen[pos - 1];
                        pos--;
                    }

                    errs[pos] = e;
                    parents[pos] = p;
                    chosen[pos] = k;
                    kept = Math.Min(beam, kept + 1);
                }
            }

            var nextResiduals = new float[beam][];
            var nextPaths = new int[beam][];
            for (int i = 0; i < kept; i++)
            {
                var r = (float[])residuals[parents[i]].Clone();
                Span<float> c = cb.Row(chosen[i]);
                for (int j = 0; j < d; j++)
                {
                    r[j] -= c[j];
                }

                int[] path = (int[])paths[parents[i]].Clone();
                path[m] = chosen[i];
                nextResiduals[i] = r;
                nextPaths[i] = path;
            }

            residuals = nextResiduals;
            paths = nextPaths;
            alive = kept;
        }

        paths[0].CopyTo(codes);
    }
}
