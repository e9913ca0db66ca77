using TorchSharp;
using static TorchSharp.torch;

namespace VqCodec.Codec.Models;

/// <summary>Gradient estimator used to pass the quantizer in training.</summary>
public enum GradientEstimator
{
    /// <summary>Straight-through: z + sg[z_q - z].</summary>
    StraightThrough,

    /// <summary>Noise substitution (NSVQ): z + ‖z - z_q‖ · v/‖v‖, v ~ N(0, I).</summary>
    NoiseSubstitution,
}

/// <summary>Outputs of one training pass through the residual quantizer.</summary>
internal sealed record RvqOutput(Tensor Quantized, Tensor CommitLoss, Tensor Codes);

/// <summary>
/// Residual vector quantizer over rows of an N×D matrix: level l quantizes the residual left by levels
/// 0..l-1. Codebooks are updated by exponential moving averages of assigned residuals (no gradient),
/// initialised by successive k-means, and dead codes are restarted from residuals of the batch.
/// Quantizer dropout is expressed as a per-row level mask, so every prefix of levels is trained.
/// </summary>
internal sealed class ResidualVq : nn.Module
{
    // Buffers (registered by RegisterComponents because they are Tensor fields); updated in place.
    private readonly Tensor codebooks;   // [L, K, D]
    private readonly Tensor ema_count;   // [L, K]
    private readonly Tensor ema_sum;     // [L, K, D]

    public ResidualVq(string name, int levels, int codebookSize, int dim)
        : base(name)
    {
        Levels = levels;
        CodebookSize = codebookSize;
        Dim = dim;
        codebooks = torch.randn(levels, codebookSize, dim) * 0.1f;
        ema_count = torch.ones(levels, codebookSize);
        ema_sum = codebooks.clone();
        RegisterComponents();
    }

    public int Levels { get; }

    public int CodebookSize { get; }

    public int Dim { get; }

    /// <summary>EMA decay of the codebook statistics.</summary>
    public double Decay { get; set; } = 0.99;

    /// <summary>A code whose EMA count falls below this fraction of the mean count is restarted.</summary>
    public double DeadFraction { get; set; } = 0.03;

    /// <summary>Codebook of one level, [K, D] (a view; do not dispose while the module is alive).</summary>
    public Tensor Codebook(int level) => codebooks[level];

    /// <summary>EMA usage counts, [L, K], copied to managed memory.</summary>
    public float[,] UsageCounts()
    {
        using var c = ema_count.detach().cpu();
        float[] flat = c.data<float>().ToArray();
        var result = new float[Levels, CodebookSize];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(float));
        return result;
    }

    /// <summary>
    /// Rows encoded together by <see cref="Encode"/>: the distance matrix of a chunk is 4,096 × K floats (16 MB for 1,024
    /// codes). One matrix for a 12-megapixel image's 47,000 rows was 192 MB, allocated three times per level above the
    /// allocator's mmap threshold and faulted in afresh each time: 2.0–2.3 s of its 4.6 s encoder stage (design.md).
    /// </summary>
    internal const int EncodeChunkRows = 4096;

    private static Tensor Nearest(Tensor r, Tensor cb)
    {
        using var scope = NewDisposeScope();
        return Nearest(r, cb, (cb * cb).sum(1).unsqueeze(0)).MoveToOuterDisposeScope();
    }

    private static Tensor Nearest(Tensor r, Tensor cb, Tensor cbNorms)
    {
        // ‖r‖² is constant per row and does not change the argmin; ‖c‖² − 2 r·c in one matrix (−2 scales exactly).
        using var scope = NewDisposeScope();
        Tensor d = torch.addmm(cbNorms, r, cb.t(), beta: 1, alpha: -2);
        return d.argmin(1).MoveToOuterDisposeScope();
    }

    /// <summary>Greedy residual encoding with the first <paramref name="levels"/> codebooks; returns [N, levels] int64.</summary>
    public Tensor Encode(Tensor z, int levels)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        long n = z.shape[0];
        var norms = new Tensor[levels];
        for (int l = 0; l < levels; l++)
        {
            Tensor cb = codebooks[l];
            norms[l] = (cb * cb).sum(1).unsqueeze(0);
        }

        var chunks = new List<Tensor>();
        for (long start = 0; start < n; start += EncodeChunkRows)
        {
            using var chunkScope = NewDisposeScope();
            Tensor r = z.narrow(0, start, Math.Min(EncodeChunkRows, n - start)).detach().clone();
            var codes = new List<Tensor>(levels);
            for (int l = 0; l < levels; l++)
            {
                Tensor cb = codebooks[l];
                Tensor idx = Nearest(r, cb, norms[l]);
                r.sub_(cb.index_select(0, idx));
                codes.Add(idx);
            }

            chunks.Add(torch.stack(codes, 1).MoveToOuterDisposeScope());
        }

        return (chunks.Count == 1 ? chunks[0] : torch.cat(chunks, 0)).MoveToOuterDisposeScope();
    }

    /// <summary>Sum of codewords for codes [N, levels].</summary>
    public Tensor Decode(Tensor codes)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        long n = codes.shape[0];
        int levels = (int)codes.shape[1];
        Tensor sum = torch.zeros(n, Dim, device: codebooks.device);
        for (int l = 0; l < levels; l++)
        {
            sum.add_(codebooks[l].index_select(0, codes[.., l]));
        }

        return sum.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Training pass. <paramref name="levelMask"/> is [N, L] with 1 where a level is active for a row
    /// (quantizer dropout). Updates the EMA codebooks when <paramref name="update"/> is set.
    /// </summary>
    public RvqOutput Forward(Tensor z, Tensor levelMask, GradientEstimator estimator, bool update, Generator? generator)
    {
        using var scope = NewDisposeScope();
        long n = z.shape[0];
        Tensor r = z;
        Tensor zq = torch.zeros_like(z);
        Tensor commit = torch.zeros(1, device: z.device);
        var codes = new List<Tensor>(Levels);
        for (int l = 0; l < Levels; l++)
        {
            Tensor w = levelMask[.., l];
            Tensor cb = codebooks[l];
            Tensor idx = Nearest(r.detach(), cb);
            Tensor q = cb.index_select(0, idx).detach();
            if (update)
            {
                UpdateLevel(l, r.detach(), idx, w, generator);
            }

            r = r - q;
            commit = commit + ((r * r).mean([1L]) * w).sum() / Math.Max(1, n);
            zq = zq + q * w.unsqueeze(1);
            codes.Add(idx);
        }

        commit = commit / Levels;
        Tensor output;
        if (estimator == GradientEstimator.NoiseSubstitution)
        {
            Tensor err = (z - zq).detach();
            Tensor v = torch.randn(z.shape, generator: generator, device: z.device);
            Tensor scale = err.norm(1, keepdim: true) / (v.norm(1, keepdim: true) + 1e-12);
            output = z + scale * v;
        }
        else
        {
            output = z + (zq - z).detach();
        }

        return new RvqOutput(output.MoveToOuterDisposeScope(), commit.MoveToOuterDisposeScope(), torch.stack(codes, 1).MoveToOuterDisposeScope());
    }

    private void UpdateLevel(int l, Tensor r, Tensor idx, Tensor w, Generator? generator)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        int k = CodebookSize;
        Tensor counts = torch.zeros(k, device: r.device).index_add_(0, idx, w, 1.0);
        Tensor sums = torch.zeros(k, Dim, device: r.device).index_add_(0, idx, r * w.unsqueeze(1), 1.0);
        Tensor cnt = ema_count[l];
        Tensor sum = ema_sum[l];
        cnt.mul_(Decay).add_(counts, alpha: 1 - Decay);
        sum.mul_(Decay).add_(sums, alpha: 1 - Decay);
        Tensor total = cnt.sum();
        Tensor smoothed = (cnt + 1e-5) / (total + k * 1e-5) * total;
        codebooks[l].copy_(sum / smoothed.unsqueeze(1));

        // Dead-code restart from active residuals of this batch.
        double activeRows = w.sum().item<float>();
        if (activeRows < 1)
        {
            return;
        }

        double meanCount = total.item<float>() / k;
        Tensor dead = (cnt < DeadFraction * meanCount).nonzero().squeeze(1);
        long nDead = dead.shape[0];
        if (nDead == 0)
        {
            return;
        }

        Tensor activeIdx = (w > 0).nonzero().squeeze(1);
        Tensor pick = torch.randint(0, activeIdx.shape[0], [nDead], generator: generator, device: r.device);
        Tensor vecs = r.index_select(0, activeIdx.index_select(0, pick));
        vecs = vecs + torch.randn(vecs.shape, generator: generator, device: r.device) * 1e-3f;
        Tensor init = torch.full([nDead], meanCount, device: r.device);
        codebooks[l].index_copy_(0, dead, vecs);
        sum.index_copy_(0, dead, vecs * init.unsqueeze(1));
        cnt.index_copy_(0, dead, init);
    }

    /// <summary>
    /// Initialises every level by k-means (random-sample seeding, Lloyd iterations) on the residuals of
    /// <paramref name="samples"/> [M, D] left by the levels before it.
    /// </summary>
    public void InitializeKMeans(Tensor samples, int iterations, double countScale, Generator generator)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor r = samples.detach().clone();
        for (int l = 0; l < Levels; l++)
        {
            Tensor centers = KMeans.Fit(r, CodebookSize, iterations, generator);
            Tensor idx = Nearest(r, centers);
            Tensor counts = torch.zeros(CodebookSize).index_add_(0, idx, torch.ones(idx.shape[0]), 1.0) * countScale;
            counts = counts.clamp_min(DeadFraction * 2 * counts.mean().item<float>());
            codebooks[l].copy_(centers);
            ema_count[l].copy_(counts);
            ema_sum[l].copy_(centers * counts.unsqueeze(1));
            r.sub_(centers.index_select(0, idx));
        }
    }
}
