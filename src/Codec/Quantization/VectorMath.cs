using System.Numerics;
using System.Runtime.InteropServices;

namespace VqCodec.Quantization;

/// <summary>SIMD kernels shared by the quantizers.</summary>
public static class VectorMath
{
    /// <summary>Squared Euclidean distance.</summary>
    public static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("lengths differ");
        }

        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            ReadOnlySpan<Vector<float>> va = MemoryMarshal.Cast<float, Vector<float>>(a);
            ReadOnlySpan<Vector<float>> vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            for (int v = 0; v < va.Length; v++)
            {
                Vector<float> d = va[v] - vb[v];
                acc += d * d;
            }

            sum = Vector.Sum(acc);
            i = va.Length * Vector<float>.Count;
        }

        for (; i < a.Length; i++)
        {
            float d = a[i] - b[i];
            sum += d * d;
        }

        return sum;
    }

    /// <summary>Dot product.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            ReadOnlySpan<Vector<float>> va = MemoryMarshal.Cast<float, Vector<float>>(a);
            ReadOnlySpan<Vector<float>> vb = MemoryMarshal.Cast<float, Vector<float>>(b[..a.Length]);
            for (int v = 0; v < va.Length; v++)
            {
                acc += va[v] * vb[v];
            }

            sum = Vector.Dot(acc, Vector<float>.One);
            i = va.Length * Vector<float>.Count;
        }

        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>Index of the nearest row of <paramref name="codebook"/> to <paramref name="x"/> (lowest index on ties).</summary>
    public static int Nearest(Matrix codebook, ReadOnlySpan<float> x, out float distance)
    {
        int best = 0;
        float bestD = float.PositiveInfinity;
        for (int k = 0; k < codebook.Rows; k++)
        {
            float d = SquaredDistance(codebook.Row(k), x);
            if (d < bestD)
            {
                bestD = d;
                best = k;
            }
        }

        distance = bestD;
        return best;
    }

    /// <summary>Mean over rows of the squared error between two equally shaped matrices (MSE per vector).</summary>
    public static double MeanSquaredErrorPerVector(Matrix a, Matrix b)
    {
        if (a.Rows != b.Rows || a.Cols != b.Cols)
        {
            throw new ArgumentException("shapes differ");
        }

        double sum = 0;
        for (int i = 0; i < a.Rows; i++)
        {
            sum += SquaredDistance(a.Row(i), b.Row(i));
        }

        return a.Rows == 0 ? 0 : sum / a.Rows;
    }
}
