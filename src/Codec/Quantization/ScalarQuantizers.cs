namespace VqCodec.Quantization;

/// <summary>
/// Uniform scalar quantization of every component: [min, max] split into L equal cells, reconstruction
/// at cell centres. Values outside the range are clamped to the first or last cell.
/// </summary>
public sealed class UniformScalarQuantizer : VectorQuantizer
{
    private float _min;
    private float _step;

    /// <summary>Creates an unfitted quantizer with <paramref name="levels"/> levels per component.</summary>
    public UniformScalarQuantizer(int levels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(levels, 2);
        Levels = levels;
    }

    /// <summary>L.</summary>
    public int Levels { get; }

    /// <inheritdoc />
    public override int CodesPerVector => Dimension;

    /// <inheritdoc />
    public override double BitsPerVector => Dimension * Math.Log2(Levels);

    /// <summary>Sets the range explicitly (for a given dimension).</summary>
    public void SetRange(float min, float max, int dimension)
    {
        if (!(max > min))
        {
            throw new ArgumentException("max must exceed min");
        }

        _min = min;
        _step = (max - min) / Levels;
        Dimension = dimension;
        IsFitted = true;
    }

    /// <inheritdoc />
    public override void Fit(Matrix data, int seed)
    {
        CheckData(data, 1);
        float min = data.Data.Min(), max = data.Data.Max();
        SetRange(min, max > min ? max : min + 1, data.Cols);
    }

    /// <summary>Cell index of a scalar.</summary>
    public int Quantize(float x) => Math.Clamp((int)Math.Floor((x - _min) / _step), 0, Levels - 1);

    /// <summary>Reconstruction value of a cell.</summary>
    public float Reconstruct(int index) => _min + ((index + 0.5f) * _step);

    /// <inheritdoc />
    public override void Encode(ReadOnlySpan<float> vector, Span<int> codes)
    {
        for (int i = 0; i < vector.Length; i++)
        {
            codes[i] = Quantize(vector[i]);
        }
    }

    /// <inheritdoc />
    public override void Decode(ReadOnlySpan<int> codes, Span<float> vector)
    {
        for (int i = 0; i < codes.Length; i++)
        {
            vector[i] = Reconstruct(codes[i]);
        }
    }
}

/// <summary>Non-uniform (Lloyd-Max) scalar quantization: 1-D k-means fitted per component.</summary>
public sealed class LloydMaxScalarQuantizer : VectorQuantizer
{
    private float[][] _levels = [];

    /// <summary>Creates an unfitted quantizer.</summary>
    public LloydMaxScalarQuantizer(int levels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(levels, 2);
        Levels = levels;
    }

    /// <summary>L.</summary>
    public int Levels { get; }

    /// <summary>Reconstruction levels of a component, ascending.</summary>
    public IReadOnlyList<float> LevelsOf(int component) => _levels[component];

    /// <inheritdoc />
    public override int CodesPerVector => Dimension;

    /// <inheritdoc />
    public override double BitsPerVector => Dimension * Math.Log2(Levels);

    /// <inheritdoc />
    public override void Fit(Matrix data, int seed)
    {
        CheckData(data, Levels);
        _levels = new float[data.Cols][];
        for (int j = 0; j < data.Cols; j++)
        {
            Matrix column = data.Columns(j, 1);
            _levels[j] = KMeansClustering.Fit(column, Levels, seed + j, 100).Data;
        }

        Dimension = data.Cols;
        IsFitted = true;
    }

    /// <inheritdoc />
    public override void Encode(ReadOnlySpan<float> vector, Span<int> codes)
    {
        for (int j = 0; j < vector.Length; j++)
        {
            float[] lv = _levels[j];
            int best = 0;
            for (int k = 1; k < lv.Length; k++)
            {
                if (Math.Abs(vector[j] - lv[k]) < Math.Abs(vector[j] - lv[best]))
                {
                    best = k;
                }
            }

            codes[j] = best;
        }
    }

    /// <inheritdoc />
    public override void Decode(ReadOnlySpan<int> codes, Span<float> vector)
    {
        for (int j = 0; j < codes.Length; j++)
        {
            vector[j] = _levels[j][codes[j]];
        }
    }
}
