using TorchSharp;
using static TorchSharp.torch;

namespace VqCodec.Codec.Models;

/// <summary>k-means on tensors (random-sample seeding, Lloyd iterations); used to initialise neural codebooks.</summary>
internal static class KMeans
{
    /// <summary>Returns [k, D] centres for the rows of <paramref name="x"/> [M, D].</summary>
    public static Tensor Fit(Tensor x, int k, int iterations, Generator generator)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        long m = x.shape[0];
        long d = x.shape[1];
        // Seeds from distinct random samples: k-means++ costs k sequential passes, which with k = 1024 and
        // 16 levels took minutes here; Lloyd iterations plus dead-code restart make up the difference.
        Tensor perm = torch.randperm(m, generator: generator)[..(int)Math.Min(k, m)];
        Tensor centers = x.index_select(0, perm);
        if (m < k)
        {
            Tensor extra = x.index_select(0, torch.randint(0, m, [k - m], generator: generator));
            centers = torch.cat([centers, extra + torch.randn(extra.shape, generator: generator) * 1e-3f], 0);
        }

        for (int it = 0; it < iterations; it++)
        {
            Tensor dist = (centers * centers).sum(1).unsqueeze(0) - 2 * x.matmul(centers.t());
            Tensor idx = dist.argmin(1);
            Tensor sums = torch.zeros(k, d).index_add_(0, idx, x, 1.0);
            Tensor counts = torch.zeros(k).index_add_(0, idx, torch.ones(m), 1.0);
            Tensor used = counts > 0;
            Tensor updated = sums / counts.clamp_min(1).unsqueeze(1);
            centers = torch.where(used.unsqueeze(1), updated, centers);
        }

        return centers.MoveToOuterDisposeScope();
    }
}
