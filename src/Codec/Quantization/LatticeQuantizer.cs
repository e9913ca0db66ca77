namespace VqCodec.Quantization;

/// <summary>Lattices with closed-form nearest-point algorithms (Conway and Sloane 1982).</summary>
public enum LatticeKind
{
    /// <summary>The integer lattice Zⁿ (rounding).</summary>
    Z,

    /// <summary>Dₙ: integer points with an even coordinate sum (checkerboard).</summary>
    D,

    /// <summary>E8 = D8 ∪ (D8 + ½): the densest 8-dimensional lattice.</summary>
    E8,
}

/// <summary>
/// Lattice VQ: no codebook storage; the nearest lattice point of x/step is found in closed form and the
/// code is its coordinates (doubled for E8, so that codes are integers). The rate depends on the entropy
/// coder that follows, so <see cref="BitsPerVector"/> is the empirical entropy measured by <see cref="Fit"/>.
/// </summary>
public sealed class LatticeQuantizer : VectorQuantizer
{
    private double _bits = double.NaN;

    /// <summary>Creates a lattice quantizer with a scale (step).</summary>
    public LatticeQuantizer(LatticeKind kind, float step)
    {
        if (!(step > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(step));
        }

        Kind = kind;
        Step = step;
    }

    /// <summary>The lattice.</summary>
    public LatticeKind Kind { get; }

    /// <summary>Scale of the lattice.</summary>
    public float Step { get; }

    /// <inheritdoc />
    public override int CodesPerVector => Dimension;

    /// <summary>Empirical zeroth-order entropy of the code vectors on the fitting data (bits per vector).</summary>
    public override double BitsPerVector => _bits;

    /// <inheritdoc />
    public override void Fit(Matrix data, int seed)
    {
        CheckData(data, 1);
        if (Kind == LatticeKind.E8 && data.Cols != 8)
        {
            throw new ArgumentException("E8 needs 8-dimensional vectors");
        }

        Dimension = data.Cols;
        IsFitted = true;
        int[] codes = EncodeAll(data);
        var counts = new Dictionary<string, int>();
        for (int i = 0; i < data.Rows; i++)
        {
            string key = string.Join(',', codes.AsSpan(i * Dimension, Dimension).ToArray());
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        _bits = -counts.Values.Sum(c => (double)c / data.Rows * Math.Log2((double)c / data.Rows));
    }

    /// <summary>Sets the dimension without fitting (Zⁿ and Dₙ need no data).</summary>
    public void SetDimension(int dimension)
    {
        Dimension = dimension;
        IsFitted = true;
    }

    /// <summary>Nearest point of Zⁿ, Dₙ or E8 to x (unscaled).</summary>
    public static double[] NearestPoint(LatticeKind kind, ReadOnlySpan<double> x) => kind switch
    {
        LatticeKind.Z => x.ToArray().Select(v => Math.Round(v, MidpointRounding.AwayFromZero)).ToArray(),
        LatticeKind.D => NearestD(x),
        LatticeKind.E8 => NearestE8(x),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static double[] NearestD(ReadOnlySpan<double> x)
    {
        var f = new double[x.Length];
        long sum = 0;
        int worst = 0;
        double worstErr = -1;
        for (int i = 0; i < x.Length; i++)
        {
            f[i] = Math.Round(x[i], MidpointRounding.AwayFromZero);
            sum += (long)f[i];
            double err = Math.Abs(x[i] - f[i]);
            if (err > worstErr)
            {
                worstErr = err;
                worst = i;
            }
        }

        if ((sum & 1) != 0)
        {
            // Round the coordinate that was furthest from an integer the other way.
            f[worst] += x[worst] > f[worst] ? 1 : -1;
        }

        return f;
    }

    private static double[] NearestE8(ReadOnlySpan<double> x)
    {
        double[] a = NearestD(x);
        var shifted = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            shifted[i] = x[i] - 0.5;
        }

        double[] b = NearestD(shifted);
        for (int i = 0; i < b.Length; i++)
        {
            b[i] += 0.5;
        }

        double da = 0, db = 0;
        for (int i = 0; i < x.Length; i++)
        {
            da += (x[i] - a[i]) * (x[i] - a[i]);
            db += (x[i] - b[i]) * (x[i] - b[i]);
        }

        return db < da ? b : a;
    }

    /// <inheritdoc />
    public override void Encode(ReadOnlySpan<float> vector, Span<int> codes)
    {
        var x = new double[vector.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = vector[i] / Step;
        }

        double[] p = NearestPoint(Kind, x);
        double scale = Kind == LatticeKind.E8 ? 2 : 1;
        for (int i = 0; i < p.Length; i++)
        {
            codes[i] = (int)Math.Round(p[i] * scale);
        }
    }

    /// <inheritdoc />
    public override void Decode(ReadOnlySpan<int> codes, Span<float> vector)
    {
        float scale = Kind == LatticeKind.E8 ? 0.5f : 1f;
        for (int i = 0; i < codes.Length; i++)
        {
            vector[i] = codes[i] * scale * Step;
        }
    }
}
