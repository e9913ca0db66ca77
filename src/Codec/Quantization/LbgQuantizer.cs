namespace VqCodec.Quantization;

/// <summary>
/// Linde-Buzo-Gray: start from the global mean, split every codeword c into (1−ε)c and (1+ε)c, run
/// k-means to convergence, repeat until K codewords (K a power of two).
/// </summary>
public sealed class LbgQuantizer : CodebookQuantizer
{
    /// <summary>Creates an unfitted LBG quantizer.</summary>
    public LbgQuantizer(int codebookSize, double epsilon = 0.01, int maxIterations = 100)
        : base(codebookSize, maxIterations)
    {
        if (!System.Numerics.BitOperations.IsPow2(codebookSize))
        {
            throw new ArgumentException("LBG doubles the codebook; K must be a power of two", nameof(codebookSize));
        }

        Epsilon = epsilon;
    }

    /// <summary>Split perturbation ε.</summary>
    public double Epsilon { get; }

    /// <summary>Codebooks after each split, for inspection (1, 2, 4, …, K codewords).</summary>
    public List<Matrix> Stages { get; } = [];

    /// <inheritdoc />
    public override void Fit(Matrix data, int seed)
    {
        CheckData(data, CodebookSize);
        var mean = new Matrix(1, data.Cols);
        for (int i = 0; i < data.Rows; i++)
        {
            for (int j = 0; j < data.Cols; j++)
            {
                mean.Data[j] += data.Row(i)[j] / data.Rows;
            }
        }

        Stages.Clear();
        Matrix cb = mean;
        Stages.Add(cb);
        while (cb.Rows < CodebookSize)
        {
            var split = new Matrix(cb.Rows * 2, cb.Cols);
            for (int c = 0; c < cb.Rows; c++)
            {
                for (int j = 0; j < cb.Cols; j++)
                {
                    split.Data[(2 * c * cb.Cols) + j] = (float)((1 - Epsilon) * cb.Row(c)[j]);
                    split.Data[(((2 * c) + 1) * cb.Cols) + j] = (float)((1 + Epsilon) * cb.Row(c)[j]);
                }
            }

            cb = KMeansClustering.Fit(data, split.Rows, seed, MaxIterations, initial: split);
            Stages.Add(cb);
        }

        SetCodebook(cb);
    }
}
