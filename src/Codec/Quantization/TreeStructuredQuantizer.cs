namespace VqCodec.Quantization;

/// <summary>
/// Tree-structured VQ: a binary tree of depth L whose nodes are 2-means splits of the data reaching
/// them; encoding descends by choosing the nearer child at each level (2L distance computations
/// instead of 2^L); the code is the leaf index (L bits).
/// </summary>
public sealed class TreeStructuredQuantizer : VectorQuantizer
{
    private Matrix[] _levels = [];

    /// <summary>Creates an unfitted TSVQ of the given depth.</summary>
    public TreeStructuredQuantizer(int depth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, 20);
        Depth = depth;
    }

    /// <summary>L.</summary>
    public int Depth { get; }

    /// <inheritdoc />
    public override int CodesPerVector => 1;

    /// <inheritdoc />
    public override double BitsPerVector => Depth;

    /// <inheritdoc />
    public override void Fit(Matrix data, int seed)
    {
        CheckData(data, 1);
        int d = data.Cols;
        _levels = new Matrix[Depth + 1];
        _levels[0] = new Matrix(1, d);
        for (int i = 0; i < data.Rows; i++)
        {
            for (int j = 0; j < d; j++)
            {
                _levels[0].Data[j] += data.Row(i)[j] / data.Rows;
            }
        }

        var members = new List<int>[] { Enumerable.Range(0, data.Rows).ToList() };
        for (int level = 1; level <= Depth; level++)
        {
            var next = new Matrix(1 << level, d);
            var nextMembers = new List<int>[1 << level];
            for (int node = 0; node < members.Length; node++)
            {
                List<int> m = members[node];
                Matrix pair;
                if (m.Count >= 2)
                {
                    pair = KMeansClustering.Fit(data.SelectRows(m), 2, seed + node, 30);
                }
                else
                {
                    pair = new Matrix(2, d);
                    _levels[level - 1].Row(node).CopyTo(pair.Row(0));
                    _levels[level - 1].Row(node).CopyTo(pair.Row(1));
                }

                pair.Row(0).CopyTo(next.Row(2 * node));
                pair.Row(1).CopyTo(next.Row((2 * node) + 1));
                nextMembers[2 * node] = [];
                nextMembers[(2 * node) + 1] = [];
                foreach (int i in m)
                {
                    int side = VectorMath.SquaredDistance(data.Row(i), pair.Row(1)) < VectorMath.SquaredDistance(data.Row(i), pair.Row(0)) ? 1 : 0;
                    nextMembers[(2 * node) + side].Add(i);
                }
            }

            _levels[level] = next;
            members = nextMembers;
        }

        Dimension = d;
        IsFitted = true;
    }

    /// <inheritdoc />
    public override void Encode(ReadOnlySpan<float> vector, Span<int> codes)
    {
        int node = 0;
        for (int level = 1; level <= Depth; level++)
        {
            Matrix m = _levels[level];
            int left = 2 * node;
            node = VectorMath.SquaredDistance(vector, m.Row(left + 1)) < VectorMath.SquaredDistance(vector, m.Row(left)) ? left + 1 : left;
        }

        codes[0] = node;
    }

    /// <inheritdoc />
    public override void Decode(ReadOnlySpan<int> codes, Span<float> vector) => _levels[Depth].Row(codes[0]).CopyTo(vector);
}
