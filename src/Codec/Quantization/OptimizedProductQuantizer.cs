using TorchSharp;
using static TorchSharp.torch;

namespace VqCodec.Quantization;

/// <summary>
/// Optimized product quantization (Ge et al. 2013, non-parametric): learns an orthogonal rotation R with
/// the PQ codebooks, alternating PQ on XR and the orthogonal Procrustes solution R = U Vᵀ from the SVD of
/// Xᵀ Ŷ (Ŷ the PQ reconstruction in the rotated space). Starts from R = I, so its first iterate is the PQ
/// of the same seed, and it keeps the best iterate: its distortion is never above PQ's.
/// </summary>
public sealed class OptimizedProductQuantizer : VectorQuantizer
{
    private readonly ProductQuantizer _pq;
    private float[] _rotation = [];

    /// <summary>Creates an unfitted OPQ.</summary>
    public OptimizedProductQuantizer(int subspaces, int codebookSize, int iterations = 10)
    {
        _pq = new ProductQuantizer(subspaces, codebookSize);
        Iterations = iterations;
    }

    /// <summary>Alternations.</summary>
    public int Iterations { get; }

    /// <summary>Distortion (MSE per vector) on the training data after each alternation.</summary>
    public List<double> History { get; } = [];

    /// <summary>The rotation R (D×D, row-major): encode uses x R.</summary>
    public float[] Rotation => _rotation;

    /// <summary>The PQ in the rotated space.</summary>
    public ProductQuantizer Inner => _pq;

    /// <inheritdoc />
    public override int CodesPerVector => _pq.CodesPerVector;

    /// <inheritdoc />
    public override double BitsPerVector => _pq.BitsPerVector;

    /// <inheritdoc />
    public override void Fit(Matrix data, int seed)
    {
        CheckData(data, _pq.CodebookSize);
        int d = data.Cols;
        float[] r = Identity(d);
        float[] bestR = r;
        Matrix[]? bestBooks = null;
        double best = double.PositiveInfinity;
        Matrix[]? warm = null;
        History.Clear();
        for (int it = 0; it < Math.Max(1, Iterations); it++)
        {
            Matrix rotated = Multiply(data, r, d);
            _pq.Fit(rotated, seed, warm);
            warm = Enumerable.Range(0, _pq.Subspaces).Select(_pq.Codebook).ToArray();
            Matrix recon = _pq.DecodeAll(_pq.EncodeAll(rotated));
            double distortion = VectorMath.MeanSquaredErrorPerVector(rotated, recon);
            History.Add(distortion);
            if (distortion < best)
            {
                best = distortion;
                bestR = r;
                bestBooks = warm.Select(b => b.Clone()).ToArray();
            }

            r = Procrustes(data, recon, d);
        }

        _rotation = bestR;
        _pq.Fit(Multiply(data, bestR, d), seed, bestBooks);
        Dimension = d;
        IsFitted = true;
    }

    /// <inheritdoc />
    public override void Encode(ReadOnlySpan<float> vector, Span<int> codes)
    {
        Span<float> rotated = stackalloc float[Dimension];
        Rotate(vector, rotated, transpose: false);
        _pq.Encode(rotated, codes);
    }

    /// <inheritdoc />
    public override void Decode(ReadOnlySpan<int> codes, Span<float> vector)
    {
        Span<float> rotated = stackalloc float[Dimension];
        _pq.Decode(codes, rotated);
        Rotate(rotated, vector, transpose: true);
    }

    private void Rotate(ReadOnlySpan<float> x, Span<float> y, bool transpose)
    {
        int d = Dimension;
        for (int j = 0; j < d; j++)
        {
            float s = 0;
            for (int i = 0; i < d; i++)
            {
                s += x[i] * (transpose ? _rotation[(j * d) + i] : _rotation[(i * d) + j]);
            }

            y[j] = s;
        }
    }

    private static float[] Identity(int d)
    {
        var r = new float[d * d];
        for (int i = 0; i < d; i++)
        {
            r[(i * d) + i] = 1;
        }

        return r;
    }

    private static Matrix Multiply(Matrix x, float[] r, int d)
    {
        using var scope = NewDisposeScope();
        Tensor t = torch.tensor(x.Data, [x.Rows, d]).matmul(torch.tensor(r, [d, d]));
        return new Matrix(x.Rows, d, t.data<float>().ToArray());
    }

    /// <summary>argmin over orthogonal R of ‖XR − Ŷ‖: R = U Vᵀ with U S Vᵀ = SVD(Xᵀ Ŷ) (double precision).</summary>
    private static float[] Procrustes(Matrix x, Matrix y, int d)
    {
        using var scope = NewDisposeScope();
        Tensor xt = torch.tensor(x.Data, [x.Rows, d]).to_type(ScalarType.Float64);
        Tensor yt = torch.tensor(y.Data, [y.Rows, d]).to_type(ScalarType.Float64);
        (Tensor u, _, Tensor vh) = torch.linalg.svd(xt.t().matmul(yt), fullMatrices: false);
        Tensor r = u.matmul(vh).to_type(ScalarType.Float32).contiguous();
        return r.data<float>().ToArray();
    }
}
