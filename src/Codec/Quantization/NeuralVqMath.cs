namespace VqCodec.Quantization;

/// <summary>
/// Reference arithmetic of the neural VQ losses and estimators, in double precision, exactly as written in
/// the literature (squared L2 sums, lowest index wins ties). The TorchSharp training code implements the
/// same quantities in batch form; these functions document and test them.
/// </summary>
public static class NeuralVqMath
{
    /// <summary>VQ-VAE: k = argmin ‖z_e − e_j‖²; codebook loss ‖sg[z_e] − e_k‖²; commitment β‖z_e − sg[e_k]‖².</summary>
    public static (int Index, double[] Distances, double CodebookLoss, double CommitmentLoss) VqVae(double[] ze, double[][] codebook, double beta)
    {
        double[] d = codebook.Select(e => SquaredDistance(ze, e)).ToArray();
        int k = ArgMin(d);
        return (k, d, d[k], beta * d[k]);
    }

    /// <summary>
    /// RQ-VAE: r0 = z_e, k_i = argmin ‖r_{i−1} − c‖² over codebook i, r_i = r_{i−1} − c_{k_i}; the stage loss is
    /// ‖r_{i−1} − c_{k_i}‖²; total = (1 + β) Σ stage losses (codebook plus commitment terms).
    /// </summary>
    public static (int[] Indices, double[] Quantized, double[] FinalResidual, double[] StageLosses, double Total) RqVae(double[] ze, double[][][] codebooks, double beta)
    {
        var r = (double[])ze.Clone();
        var q = new double[ze.Length];
        var idx = new int[codebooks.Length];
        var losses = new double[codebooks.Length];
        for (int s = 0; s < codebooks.Length; s++)
        {
            double[] d = codebooks[s].Select(e => SquaredDistance(r, e)).ToArray();
            idx[s] = ArgMin(d);
            losses[s] = d[idx[s]];
            for (int j = 0; j < r.Length; j++)
            {
                r[j] -= codebooks[s][idx[s]][j];
                q[j] += codebooks[s][idx[s]][j];
            }
        }

        return (idx, q, r, losses, (1 + beta) * losses.Sum());
    }

    /// <summary>NSVQ: z_e + ‖z_e − z_q‖ · v/‖v‖ for a noise vector v (drawn from N(0, I) in training).</summary>
    public static double[] NoiseSubstitution(double[] ze, double[] zq, double[] v)
    {
        double err = Math.Sqrt(SquaredDistance(ze, zq));
        double norm = Math.Sqrt(v.Sum(x => x * x));
        return ze.Select((z, i) => z + (err * v[i] / norm)).ToArray();
    }

    private static double SquaredDistance(double[] a, double[] b) => a.Select((x, i) => (x - b[i]) * (x - b[i])).Sum();

    private static int ArgMin(double[] d)
    {
        int k = 0;
        for (int i = 1; i < d.Length; i++)
        {
            // Distances within 1e-12 are ties; the lowest index wins.
            if (d[i] < d[k] - 1e-12)
            {
                k = i;
            }
        }

        return k;
    }
}
