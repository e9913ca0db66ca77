using TorchSharp;
using static TorchSharp.torch;

namespace VqCodec.Quantization;

/// <summary>
/// Additive quantization (Babenko and Lempitsky 2014): x ≈ c1 + … + cM with full-dimensional codebooks;
/// codes are chosen jointly by beam search and the codebooks are re-fitted jointly by least squares given
/// the codes. Initialised from residual quantization; keeps the best iterate, so it is never worse than
/// the RQ it starts from on the training data (with the same beam).
/// </summary>
public sealed class AdditiveQuantizer : ResidualQuantizer
{
    /// <summary>Creates an unfitted AQ.</summary>
    public AdditiveQuantizer(int codebooks, int codebookSize, int beamWidth = 8, int iterations = 5)
        : base(codebooks, codebookSize, beamWidth)
    {
        Iterations = iterations;
    }

    /// <summary>Encode / least-squares alternations.</summary>
    public int Iterations { get; }

    /// <summary>Training distortion after each alternation.</summary>
    public List<double> History { get; } = [];

    /// <inheritdoc />
    public override void Fit(Matrix data, int seed)
    {
        base.Fit(data, seed);
        History.Clear();
        Matrix[] best = Codebooks;
        double bestD = Distortion(data);
        History.Add(bestD);
        for (int it = 0; it < Iterations; it++)
        {
            int[] codes = EncodeAll(data);
            SetCodebooks(LeastSquares(data, codes, Stages, CodebookSize));
            double d = Distortion(data);
            History.Add(d);
            if (d < bestD)
            {
                bestD = d;
                best = Codebooks;
            }
        }

        SetCodebooks(best);
    }

    /// <summary>Solves min over C of ‖X − B C‖² (B the one-hot code matrix), with a tiny ridge for unused codewords.</summary>
    internal static Matrix[] LeastSquares(Matrix data, int[] codes, int m, int k)
    {
        using var scope = NewDisposeScope();
        int n = data.Rows, d = data.Cols, mk = m * k;
        var gram = new double[mk * mk];
        var rhs = new double[mk * d];
        for (int i = 0; i < n; i++)
        {
            Span<float> x = data.Row(i);
            for (int a = 0; a < m; a++)
            {
                int ia = (a * k) + codes[(i * m) + a];
                for (int b = 0; b < m; b++)
                {
                    gram[(ia * mk) + (b * k) + codes[(i * m) + b]] += 1;
                }

                for (int j = 0; j < d; j++)
                {
                    rhs[(ia * d) + j] += x[j];
                }
            }
        }

        for (int i = 0; i < mk; i++)
        {
            gram[(i * mk) + i] += 1e-3;
        }

        Tensor c = torch.linalg.solve(torch.tensor(gram, [mk, mk]), torch.tensor(rhs, [mk, d])).to_type(ScalarType.Float32).contiguous();
        float[] flat = c.data<float>().ToArray();
        return Enumerable.Range(0, m).Select(a => new Matrix(k, d, flat.AsSpan(a * k * d, k * d).ToArray())).ToArray();
    }
}
