using TorchSharp;
using static TorchSharp.torch;

namespace VqCodec.Quantization;

/// <summary>
/// Composite quantization (Zhang, Du and Wang 2014): additive codes whose inter-codebook product
/// Σ_{i≠j} c_iᵀc_j is held near a constant ε, so that ‖q − Σc_i‖² = ‖q‖² + Σ‖c_i‖² − 2Σqᵀc_i + ε can be
/// evaluated from per-codebook look-up tables. Training alternates beam-search encoding with gradient
/// steps (TorchSharp autograd, Adam) on Σ‖x − Σc‖² + μ Σ(Σ_{i≠j}c_iᵀc_j − ε)², ε being the mean product;
/// μ grows every iteration to drive the constraint violation down.
/// </summary>
public sealed class CompositeQuantizer : ResidualQuantizer
{
    /// <summary>Creates an unfitted CQ.</summary>
    public CompositeQuantizer(int codebooks, int codebookSize, int beamWidth = 4, int iterations = 6, double penalty = 0.1)
        : base(codebooks, codebookSize, beamWidth)
    {
        Iterations = iterations;
        Penalty = penalty;
    }

    /// <summary>Encode / update alternations.</summary>
    public int Iterations { get; }

    /// <summary>Initial penalty weight μ (doubled every iteration).</summary>
    public double Penalty { get; }

    /// <summary>The constant ε (mean inter-codebook product on the training codes).</summary>
    public float Epsilon { get; private set; }

    /// <summary>Mean |Σ_{i≠j}c_iᵀc_j − ε| on the training codes: before training, then after each iteration.</summary>
    public List<double> ConstraintViolation { get; } = [];

    /// <inheritdoc />
    public override void Fit(Matrix data, int seed)
    {
        base.Fit(data, seed);
        int[] codes = EncodeAll(data);
        (Epsilon, double v) = Constraint(codes);
        ConstraintViolation.Clear();
        ConstraintViolation.Add(v);
        double mu = Penalty;
        torch.manual_seed(seed);
        for (int it = 0; it < Iterations; it++)
        {
            Update(data, codes, mu);
            codes = EncodeAll(data);
            (Epsilon, v) = Constraint(codes);
            ConstraintViolation.Add(v);
            mu *= 2;
        }
    }

    /// <summary>Inter-codebook product Σ_{i≠j} c_iᵀc_j of one code tuple.</summary>
    public float CrossProduct(ReadOnlySpan<int> codes)
    {
        float s = 0;
        for (int i = 0; i < codes.Length; i++)
        {
            for (int j = 0; j < codes.Length; j++)
            {
                if (i != j)
                {
                    s += VectorMath.Dot(Codebooks[i].Row(codes[i]), Codebooks[j].Row(codes[j]));
                }
            }
        }

        return s;
    }

    /// <summary>Per-codebook tables for a query: T[m,k] = ‖c_mk‖² − 2 qᵀc_mk (M×K).</summary>
    public float[] LookupTables(ReadOnlySpan<float> query)
    {
        var t = new float[Stages * CodebookSize];
        for (int m = 0; m < Stages; m++)
        {
            for (int k = 0; k < CodebookSize; k++)
            {
                Span<float> c = Codebooks[m].Row(k);
                t[(m * CodebookSize) + k] = VectorMath.Dot(c, c) - (2 * VectorMath.Dot(query, c));
            }
        }

        return t;
    }

    /// <summary>‖q‖² + Σ_m T[m, code_m] + ε: equals the true distance when the code tuple meets the constraint.</summary>
    public float LookupDistance(ReadOnlySpan<float> query, float[] tables, ReadOnlySpan<int> codes)
    {
        float s = VectorMath.Dot(query, query) + Epsilon;
        for (int m = 0; m < codes.Length; m++)
        {
            s += tables[(m * CodebookSize) + codes[m]];
        }

        return s;
    }

    /// <summary>Direct ‖q − Σ c‖².</summary>
    public float DirectDistance(ReadOnlySpan<float> query, ReadOnlySpan<int> codes)
    {
        Span<float> x = stackalloc float[Dimension];
        Decode(codes, x);
        return VectorMath.SquaredDistance(query, x);
    }

    /// <summary>Sets ε explicitly (for analysis and tests).</summary>
    public void SetEpsilon(float epsilon) => Epsilon = epsilon;

    private (float Epsilon, double Violation) Constraint(int[] codes)
    {
        int m = Stages, n = codes.Length / m;
        var cross = new double[n];
        for (int i = 0; i < n; i++)
        {
            cross[i] = CrossProduct(codes.AsSpan(i * m, m));
        }

        double eps = cross.Average();
        return ((float)eps, cross.Average(c => Math.Abs(c - eps)));
    }

    private void Update(Matrix data, int[] codes, double mu)
    {
        using var scope = NewDisposeScope();
        int m = Stages, k = CodebookSize, d = Dimension, n = data.Rows;
        var flat = new float[m * k * d];
        for (int a = 0; a < m; a++)
        {
            Codebooks[a].Data.CopyTo(flat, a * k * d);
        }

        var c = new TorchSharp.Modules.Parameter(torch.tensor(flat, [m * k, d]));
        Tensor x = torch.tensor(data.Data, [n, d]);
        var idx = new long[n * m];
        for (int i = 0; i < n; i++)
        {
            for (int a = 0; a < m; a++)
            {
                idx[(i * m) + a] = (a * k) + codes[(i * m) + a];
            }
        }

        Tensor index = torch.tensor(idx, [n * m]);
        using var opt = torch.optim.Adam([c], 1e-2);
        for (int step = 0; step < 50; step++)
        {
            using var inner = NewDisposeScope();
            Tensor parts = c.index_select(0, index).reshape(n, m, d);
            Tensor sum = parts.sum(1);
            Tensor recon = (x - sum).square().sum(1).mean();
            Tensor cross = sum.square().sum(1) - parts.square().sum([1L, 2L]);
            Tensor penalty = (cross - cross.mean().detach()).square().mean();
            Tensor loss = recon + (mu * penalty);
            opt.zero_grad();
            loss.backward();
            opt.step();
        }

        float[] updated = c.detach().contiguous().data<float>().ToArray();
        SetCodebooks(Enumerable.Range(0, m).Select(a => new Matrix(k, d, updated.AsSpan(a * k * d, k * d).ToArray())).ToArray());
    }
}
