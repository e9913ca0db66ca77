namespace VqCodec.Quantization;

/// <summary>
/// The common shape of every quantizer: fit on an N×D matrix with a seed, encode a vector to
/// <see cref="CodesPerVector"/> integer codes, decode codes back to a vector, and report distortion and
/// rate. Encoding and decoding are thread-safe after fitting.
/// </summary>
public abstract class VectorQuantizer
{
    /// <summary>Vector dimension D (known after <see cref="Fit"/>).</summary>
    public int Dimension { get; protected set; }

    /// <summary>Integer codes per vector.</summary>
    public abstract int CodesPerVector { get; }

    /// <summary>Bits per vector for fixed-length codes (Σ log2 of each code's alphabet).</summary>
    public abstract double BitsPerVector { get; }

    /// <summary>True once fitted.</summary>
    public bool IsFitted { get; protected set; }

    /// <summary>Fits the quantizer to the rows of <paramref name="data"/>; the same seed gives the same result.</summary>
    public abstract void Fit(Matrix data, int seed);

    /// <summary>Encodes one vector.</summary>
    public abstract void Encode(ReadOnlySpan<float> vector, Span<int> codes);

    /// <summary>Reconstructs one vector from its codes.</summary>
    public abstract void Decode(ReadOnlySpan<int> codes, Span<float> vector);

    /// <summary>Encodes every row; returns N × <see cref="CodesPerVector"/> codes, row-major.</summary>
    public int[] EncodeAll(Matrix data)
    {
        EnsureFitted(data.Cols);
        int m = CodesPerVector;
        var codes = new int[data.Rows * m];
        Parallel.For(0, data.Rows, i => Encode(data.Row(i), codes.AsSpan(i * m, m)));
        return codes;
    }

    /// <summary>Decodes N × <see cref="CodesPerVector"/> codes.</summary>
    public Matrix DecodeAll(int[] codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        int m = CodesPerVector;
        int n = codes.Length / m;
        var result = new Matrix(n, Dimension);
        Parallel.For(0, n, i => Decode(codes.AsSpan(i * m, m), result.Row(i)));
        return result;
    }

    /// <summary>Mean squared error per vector of decode(encode(x)) over the rows.</summary>
    public double Distortion(Matrix data) => VectorMath.MeanSquaredErrorPerVector(data, DecodeAll(EncodeAll(data)));

    /// <summary>Throws when not fitted or the dimension differs.</summary>
    protected void EnsureFitted(int dimension)
    {
        if (!IsFitted)
        {
            throw new InvalidOperationException("the quantizer has not been fitted");
        }

        if (dimension != Dimension)
        {
            throw new ArgumentException($"vectors have dimension {dimension}; the quantizer was fitted on {Dimension}");
        }
    }

    /// <summary>Throws when the training matrix is empty.</summary>
    protected static void CheckData(Matrix data, int minRows)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Rows < minRows)
        {
            throw new ArgumentException($"at least {minRows} training vectors are needed, got {data.Rows}");
        }
    }
}
