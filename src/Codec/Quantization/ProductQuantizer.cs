namespace VqCodec.Quantization;

/// <summary>
/// Product quantization: D dimensions split into M contiguous sub-spaces of D/M, an independent K-codeword
/// k-means codebook per sub-space; code = M indices; reconstruction = concatenation.
/// </summary>
public class ProductQuantizer : VectorQuantizer
{
    private Matrix[] _codebooks = [];

    /// <summary>Creates an unfitted PQ with M sub-spaces of K codewords.</summary>
    public ProductQuantizer(int subspaces, int codebookSize, int maxIterations = 30)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(subspaces, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(codebookSize, 1);
        Subspaces = subspaces;
        CodebookSize = codebookSize;
        MaxIterations = maxIterations;
    }

    /// <summary>M.</summary>
    public int Subspaces { get; }

    /// <summary>K.</summary>
    public int CodebookSize { get; }

    /// <summary>Lloyd iterations at most per sub-space.</summary>
    public int MaxIterations { get; }

    /// <summary>Codebook of sub-space m (K × D/M).</summary>
    public Matrix Codebook(int m) => _codebooks[m];

    /// <inheritdoc />
    public override int CodesPerVector => Subspaces;

    /// <inheritdoc />
    public override double BitsPerVector => Subspaces * Math.Log2(CodebookSize);

    /// <inheritdoc />
    public override void Fit(Matrix data, int seed) => Fit(data, seed, null);

    /// <summary>Fits, optionally warm-starting every sub-space from previous codebooks.</summary>
    public void Fit(Matrix data, int seed, Matrix[]? initial)
    {
        CheckData(data, CodebookSize);
        if (data.Cols % Subspaces != 0)
        {
            throw new ArgumentException($"dimension {data.Cols} is not a multiple of M = {Subspaces}");
        }

        int sub = data.Cols / Subspaces;
        var books = new Matrix[Subspaces];
        for (int m = 0; m < Subspaces; m++)
        {
            books[m] = KMeansClustering.Fit(data.Columns(m * sub, sub), CodebookSize, seed + m, MaxIterations, initial?[m], canonicalOrder: initial is null);
        }

        _codebooks = books;
        Dimension = data.Cols;
        IsFitted = true;
    }

    /// <inheritdoc />
    public override void Encode(ReadOnlySpan<float> vector, Span<int> codes)
    {
        int sub = Dimension / Subspaces;
        for (int m = 0; m < Subspaces; m++)
        {
            codes[m] = VectorMath.Nearest(_codebooks[m], vector.Slice(m * sub, sub), out _);
        }
    }

    /// <inheritdoc />
    public override void Decode(ReadOnlySpan<int> codes, Span<float> vector)
    {
        int sub = Dimension / Subspaces;
        for (int m = 0; m < Subspaces; m++)
        {
            _codebooks[m].Row(codes[m]).CopyTo(vector.Slice(m * sub, sub));
        }
    }

    /// <summary>
    /// Asymmetric distance computation: per-sub-space tables of squared distances from the query to every
    /// codeword (M×K), so the distance to any encoded vector is a sum of M look-ups.
    /// </summary>
    public float[] DistanceTables(ReadOnlySpan<float> query)
    {
        int sub = Dimension / Subspaces;
        var table = new float[Subspaces * CodebookSize];
        for (int m = 0; m < Subspaces; m++)
        {
            for (int k = 0; k < CodebookSize; k++)
            {
                table[(m * CodebookSize) + k] = VectorMath.SquaredDistance(query.Slice(m * sub, sub), _codebooks[m].Row(k));
            }
        }

        return table;
    }
}
