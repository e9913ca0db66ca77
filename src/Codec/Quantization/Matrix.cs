namespace VqCodec.Quantization;

/// <summary>A dense row-major N×D float matrix (one vector per row).</summary>
public sealed class Matrix
{
    /// <summary>Wraps <paramref name="data"/> (not copied).</summary>
    public Matrix(int rows, int cols, float[] data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        ArgumentNullException.ThrowIfNull(data);
        if ((long)rows * cols != data.LongLength)
        {
            throw new ArgumentException($"{rows}x{cols} needs {(long)rows * cols} values, got {data.LongLength}", nameof(data));
        }

        Rows = rows;
        Cols = cols;
        Data = data;
    }

    /// <summary>Creates a zero matrix.</summary>
    public Matrix(int rows, int cols)
        : this(rows, cols, new float[rows * cols])
    {
    }

    /// <summary>Number of vectors.</summary>
    public int Rows { get; }

    /// <summary>Dimension.</summary>
    public int Cols { get; }

    /// <summary>Values, row-major.</summary>
    public float[] Data { get; }

    /// <summary>One row.</summary>
    public Span<float> Row(int i) => Data.AsSpan(i * Cols, Cols);

    /// <summary>Builds a matrix from rows.</summary>
    public static Matrix FromRows(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int d = rows.Count == 0 ? 1 : rows[0].Length;
        var m = new Matrix(rows.Count, d);
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != d)
            {
                throw new ArgumentException("rows differ in length", nameof(rows));
            }

            rows[i].CopyTo(m.Row(i));
        }

        return m;
    }

    /// <summary>Columns [start, start + count) as a new matrix.</summary>
    public Matrix Columns(int start, int count)
    {
        var m = new Matrix(Rows, count);
        for (int i = 0; i < Rows; i++)
        {
            Data.AsSpan((i * Cols) + start, count).CopyTo(m.Row(i));
        }

        return m;
    }

    /// <summary>A deep copy.</summary>
    public Matrix Clone() => new(Rows, Cols, (float[])Data.Clone());

    /// <summary>Selected rows.</summary>
    public Matrix SelectRows(IReadOnlyList<int> indices)
    {
        var m = new Matrix(indices.Count, Cols);
        for (int i = 0; i < indices.Count; i++)
        {
            Row(indices[i]).CopyTo(m.Row(i));
        }

        return m;
    }
}
