namespace VqCodec.Quantization;

/// <summary>Full-search VQ with one codebook of K codewords, trained by k-means (k-means++ seeding).</summary>
public class CodebookQuantizer : VectorQuantizer
{
    /// <summary>Creates an unfitted quantizer with <paramref name="codebookSize"/> codewords.</summary>
    public CodebookQuantizer(int codebookSize, int maxIterations = 50)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(codebookSize, 1);
        CodebookSize = codebookSize;
        MaxIterations = maxIterations;
    }

    /// <summary>K.</summary>
    public int CodebookSize { get; }

    /// <summary>Lloyd iterations at most.</summary>
    public int MaxIterations { get; }

    /// <summary>The codebook (K×D), available after fitting.</summary>
    public Matrix Codebook { get; protected set; } = new(0, 1);

    /// <inheritdoc />
    public override int CodesPerVector => 1;

    /// <inheritdoc />
    public override double BitsPerVector => Math.Log2(CodebookSize);

    /// <inheritdoc />
    public override void Fit(Matrix data, int seed)
    {
        CheckData(data, CodebookSize);
        SetCodebook(KMeansClustering.Fit(data, CodebookSize, seed, MaxIterations));
    }

    /// <summary>Uses a given codebook (K×D).</summary>
    public void SetCodebook(Matrix codebook)
    {
        ArgumentNullException.ThrowIfNull(codebook);
        if (codebook.Rows != CodebookSize)
        {
            throw new ArgumentException($"codebook has {codebook.Rows} rows; {CodebookSize} expected");
        }

        Codebook = codebook;
        Dimension = codebook.Cols;
        IsFitted = true;
    }

    /// <inheritdoc />
    public override void Encode(ReadOnlySpan<float> vector, Span<int> codes) => codes[0] = VectorMath.Nearest(Codebook, vector, out _);

    /// <inheritdoc />
    public override void Decode(ReadOnlySpan<int> codes, Span<float> vector) => Codebook.Row(codes[0]).CopyTo(vector);
}
