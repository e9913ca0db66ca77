using TorchSharp;
using TorchSharp.Modules;
using VqCodec.Container;
using static TorchSharp.torch;

namespace VqCodec.Codec.Models;

/// <summary>Architecture of the learned token prior (<see cref="ContextPrior"/>).</summary>
public sealed record ContextPriorConfig
{
    /// <summary>Levels covered (the speech model's level count).</summary>
    public int Levels { get; init; } = 16;

    /// <summary>Codebook size of every level.</summary>
    public int CodebookSize { get; init; } = 1024;

    /// <summary>Hidden width D.</summary>
    public int Width { get; init; } = 128;

    /// <summary>Previous frames of the segment the prior sees.</summary>
    public int ContextFrames { get; init; } = 4;

    /// <summary>The hidden layer adds its input back (h = relu(B·u) + u).</summary>
    public bool Residual { get; init; }

    /// <summary>Sequence (speech frames) or grid (image token positions, raster order) context.</summary>
    public ContextLayout Layout { get; init; }

    /// <summary>Throws when a field is out of range (the integer format's limits).</summary>
    /// <exception cref="ArgumentException">Out of range.</exception>
    public void Validate()
    {
        if (Levels is < 1 or > VqcLimits.MaxLevels || CodebookSize is < 2 or > VqcLimits.MaxEntropyCodedCodebook || Width is < 8 or > 256
            || ContextFrames < 1 || ContextFrames * Width > 1024 || (Layout == ContextLayout.Grid && ContextFrames > ContextPrior.GridNeighbours.Count))
        {
            throw new ArgumentException("context prior: levels 1..32, codebook 2..4096, width 8..256, context frames × width ≤ 1024, at most 6 grid neighbours");
        }
    }
}

/// <summary>
/// The float (training) form of <see cref="ContextPrior"/>: the same layers, ReLUs and clamps, so that the
/// exported integer network computes nearly the same distribution (spec §5b; measured in the model card).
/// </summary>
internal sealed class TokenPriorNet : nn.Module<Tensor, int, Tensor>
{
    private const double Limit = ContextPrior.ActivationLimit / 512.0;

    /// <summary>
    /// Initial sharpness of the codebook-initialised heads (logits = −scale·|r − c|²/2). Measured before any training
    /// step on the validation tokens (bits/token at 2 / 6 / 16 levels): scale 1: 22.8 / 15.8 / 12.5 (far too
    /// confident), 0.3: 10.1 / 9.8 / 9.9, 0.1: 9.0 / 9.5 / 9.8, 0.02: 9.7 / 9.8 / 9.9.
    /// </summary>
    private const double HeadScale = 0.1;

    private readonly Embedding past;
    private readonly Embedding current;
    private readonly Parameter start;
    private readonly Parameter levelCount;
    private readonly Parameter levelEmbedding;
    private readonly Linear context;
    private readonly Linear hidden;
    private readonly Parameter heads;
    private readonly Parameter headBias;

    public TokenPriorNet(ContextPriorConfig config)
        : base("TokenPriorNet")
    {
        config.Validate();
        Config = config;
        int l = config.Levels, k = config.CodebookSize, d = config.Width;
        past = nn.Embedding(l * k, d);
        current = nn.Embedding(l * k, d);
        using (torch.no_grad())
        {
            past.weight!.normal_(0, 0.5 / Math.Sqrt(l));
            current.weight!.normal_(0, 0.5 / Math.Sqrt(l));
        }

        start = nn.Parameter(torch.zeros(d));
        levelCount = nn.Parameter(torch.zeros(l, d));
        levelEmbedding = nn.Parameter(torch.randn(l, d) * 0.1);
        context = nn.Linear(config.ContextFrames * d, d);
        hidden = nn.Linear(d, d);
        heads = nn.Parameter(torch.randn(l, k, d) * (1.0 / Math.Sqrt(d)));
        headBias = nn.Parameter(torch.zeros(l, k));
        RegisterComponents();
    }

    public ContextPriorConfig Config { get; }

    /// <summary>Dropout rate on the frame sums and the per-level inputs while training (none at inference, none in the integer prior).</summary>
    public double Dropout { get; set; }

    /// <summary>
    /// Logits [B, T, L, K] of every token of <paramref name="tokens"/> [B, T, L] (int64), each segment starting at
    /// frame 0; for a grid prior <paramref name="tokens"/> is [B, H, W, L] (each crop a grid of its own) and the
    /// logits are [B, H·W, L, K] in raster order.
    /// </summary>
    public override Tensor forward(Tensor tokens, int levels)
    {
        int c = Config.ContextFrames, d = Config.Width;
        long b = tokens.shape[0];
        Tensor idx = tokens + (torch.arange(levels, dtype: ScalarType.Int64) * Config.CodebookSize);
        Tensor f = Drop(past.forward(idx).sum(-2).clamp(-Limit, Limit));
        Tensor x;
        if (Config.Layout == ContextLayout.Grid)
        {
            // f [B, H, W, D] padded with the start vector: two rows above, two columns left, one right.
            long h = tokens.shape[1], w = tokens.shape[2];
            Tensor padded = start.expand(b, h + 2, w + 3, d).clone();
            padded[TensorIndex.Colon, TensorIndex.Slice(2, h + 2), TensorIndex.Slice(2, w + 2)] = f;
            x = torch.cat(ContextPrior.GridNeighbours.Take(c).Select(o => padded.narrow(1, 2 + o.Dy, h).narrow(2, 2 + o.Dx, w)).ToArray(), 3).reshape(b, h * w, c * d);
            idx = idx.reshape(b, h * w, levels);
        }
        else
        {
            long t = tokens.shape[1];
            Tensor fs = torch.cat([start.expand(b, c, d), f], 1);
            x = torch.cat(Enumerable.Range(1, c).Select(j => fs.narrow(1, c - j, t)).ToArray(), 2);
        }

        Tensor ctx = (context.forward(x) + levelCount[levels - 1]).relu().clamp_max(Limit);
        Tensor cur = current.forward(idx);
        Tensor prefix = (cur.cumsum(2) - cur).clamp(-Limit, Limit);
        Tensor u = Drop((ctx.unsqueeze(2) + levelEmbedding.narrow(0, 0, levels) + prefix).clamp(-Limit, Limit));
        Tensor hid = Config.Residual ? (hidden.forward(u).relu() + u).clamp(-Limit, Limit) : hidden.forward(u).relu().clamp_max(Limit);
        return torch.einsum("btld,lkd->btlk", hid, heads.narrow(0, 0, levels)) + headBias.narrow(0, 0, levels);
    }

    private Tensor Drop(Tensor x) => training && Dropout > 0 ? nn.functional.dropout(x, Dropout, true) : x;

    /// <summary>The integer prior: int8 weights with a Q16 multiplier per row (per level for embeddings), Q9 vectors.</summary>
    public ContextPrior Quantize()
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        int l = Config.Levels, k = Config.CodebookSize, d = Config.Width;
        float[] pastW = past.weight!.data<float>().ToArray(), currentW = current.weight!.data<float>().ToArray();
        float[] headW = heads.data<float>().ToArray(), headB = headBias.data<float>().ToArray();
        return ContextPrior.Create(new ContextPriorParameters
        {
            CodebookSize = k,
            Width = d,
            ContextFrames = Config.ContextFrames,
            Residual = Config.Residual,
            Layout = Config.Layout,
            Past = Enumerable.Range(0, l).Select(i => QuantizeTable(pastW.AsSpan(i * k * d, k * d))).ToArray(),
            Current = Enumerable.Range(0, l).Select(i => QuantizeTable(currentW.AsSpan(i * k * d, k * d))).ToArray(),
            Start = Q9(start.data<float>().ToArray()),
            LevelCount = Q9(levelCount.data<float>().ToArray()),
            LevelEmbedding = Q9(levelEmbedding.data<float>().ToArray()),
            Context = QuantizeLinear(context.weight!.data<float>().ToArray(), context.bias!.data<float>().ToArray(), d),
            Hidden = QuantizeLinear(hidden.weight!.data<float>().ToArray(), hidden.bias!.data<float>().ToArray(), d),
            Heads = Enumerable.Range(0, l).Select(i => QuantizeLinear(headW.AsSpan(i * k * d, k * d).ToArray(), headB.AsSpan(i * k, k).ToArray(), k)).ToArray(),
        });
    }

    /// <summary>
    /// Starts the network from the quantizer's geometry (needs a residual network and D ≥ 2·dim): past embeddings
    /// [c; −c] (a frame's sum is its reconstruction and its negation), current-frame embeddings [−c; c]/2, the
    /// context layer passing the previous frame through, and level l's head scoring −|r − c_k|²/2 for the
    /// residual r ≈ previous frame − current partial reconstruction, so training starts from "the latent changes
    /// little from frame to frame" rather than from noise.
    /// </summary>
    public void InitializeFromCodebooks(IReadOnlyList<Tensor> codebooks)
    {
        int dim = (int)codebooks[0].shape[1], d = Config.Width, k = Config.CodebookSize;
        if (!Config.Residual || d < 2 * dim || codebooks.Count < Config.Levels)
        {
            throw new ArgumentException($"codebook initialisation needs a residual prior at least {2 * dim} wide covering {Config.Levels} levels");
        }

        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor pastW = torch.zeros(Config.Levels * k, d), currentW = torch.zeros(Config.Levels * k, d);
        Tensor headW = torch.zeros(Config.Levels, k, d), headB = torch.zeros(Config.Levels, k);
        for (int l = 0; l < Config.Levels; l++)
        {
            Tensor c = codebooks[l].to(ScalarType.Float32);
            pastW[TensorIndex.Slice(l * k, (l + 1) * k), TensorIndex.Slice(0, dim)] = c;
            pastW[TensorIndex.Slice(l * k, (l + 1) * k), TensorIndex.Slice(dim, 2 * dim)] = -c;
            currentW[TensorIndex.Slice(l * k, (l + 1) * k), TensorIndex.Slice(0, dim)] = -c / 2;
            currentW[TensorIndex.Slice(l * k, (l + 1) * k), TensorIndex.Slice(dim, 2 * dim)] = c / 2;
            headW[l, TensorIndex.Colon, TensorIndex.Slice(0, dim)] = c * HeadScale;
            headW[l, TensorIndex.Colon, TensorIndex.Slice(dim, 2 * dim)] = -c * HeadScale;
            headB[l] = -c.square().sum(1) * (HeadScale / 2);
        }

        past.weight!.copy_(pastW);
        current.weight!.copy_(currentW);
        heads.copy_(headW);
        headBias.copy_(headB);
        // Sequence: the previous frame passes through. Grid: the mean of the west and north neighbours.
        Tensor a = torch.zeros(d, Config.ContextFrames * d);
        bool grid = Config.Layout == ContextLayout.Grid && Config.ContextFrames >= 2;
        a[TensorIndex.Colon, TensorIndex.Slice(0, d)] = torch.eye(d) * (grid ? 0.5 : 1.0);
        if (grid)
        {
            a[TensorIndex.Colon, TensorIndex.Slice(d, 2 * d)] = torch.eye(d) * 0.5;
        }

        context.weight!.copy_(a);
        context.bias!.zero_();
        hidden.weight!.mul_(0.1);
        hidden.bias!.zero_();
    }

    private static int[] Q9(float[] v) => v.Select(x => (int)Math.Round(x * 512.0)).ToArray();

    /// <summary>An embedding table as int8 with one multiplier: its values come out in Q9 (spec §5b).</summary>
    private static (int, sbyte[]) QuantizeTable(ReadOnlySpan<float> w)
    {
        var q = new sbyte[w.Length];
        return (Multiplier(QuantizeRow(w, q) * 512), q);
    }

    /// <summary>A linear layer as int8 with one multiplier per row (Q9 inputs give Q9 outputs) and Q9 biases.</summary>
    private static QuantizedLinear QuantizeLinear(float[] weights, float[] biases, int rows)
    {
        int inputs = weights.Length / rows;
        var q = new sbyte[weights.Length];
        var m = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            m[r] = Multiplier(QuantizeRow(weights.AsSpan(r * inputs, inputs), q.AsSpan(r * inputs, inputs)));
        }

        return new QuantizedLinear(q, m, Q9(biases));
    }

    /// <summary>Symmetric int8 quantisation of one row (its largest magnitude maps to 127); returns the scale.</summary>
    private static double QuantizeRow(ReadOnlySpan<float> w, Span<sbyte> q)
    {
        double max = 1e-8;
        foreach (float x in w)
        {
            max = Math.Max(max, Math.Abs(x));
        }

        double scale = max / 127;
        for (int i = 0; i < w.Length; i++)
        {
            q[i] = (sbyte)Math.Clamp(Math.Round(w[i] / scale), -127, 127);
        }

        return scale;
    }

    /// <summary>A scale as the format's Q16 multiplier (at most 2^24).</summary>
    private static int Multiplier(double scale) => (int)Math.Min(Math.Round(scale * 65536), 1 << 24);
}
