namespace VqCodec.Quantization;

/// <summary>Codebook health statistics and repair used by the neural codecs and the benchmarks.</summary>
public static class CodebookHealth
{
    /// <summary>Fraction of the K codewords used at least once by <paramref name="codes"/>.</summary>
    public static double Utilisation(ReadOnlySpan<int> codes, int k) => Counts(codes, k).Count(c => c > 0) / (double)k;

    /// <summary>Perplexity exp(H) of the code distribution (K for uniform use, 1 for a single code).</summary>
    public static double Perplexity(ReadOnlySpan<int> codes, int k)
    {
        long[] counts = Counts(codes, k);
        double n = codes.Length, h = 0;
        foreach (long c in counts)
        {
            if (c > 0)
            {
                double p = c / n;
                h -= p * Math.Log(p);
            }
        }

        return Math.Exp(h);
    }

    /// <summary>Entropy in bits of the code distribution.</summary>
    public static double EntropyBits(ReadOnlySpan<int> codes, int k) => Math.Log2(Perplexity(codes, k));

    /// <summary>Usage count per codeword.</summary>
    public static long[] Counts(ReadOnlySpan<int> codes, int k)
    {
        var counts = new long[k];
        foreach (int c in codes)
        {
            if ((uint)c >= (uint)k)
            {
                throw new ArgumentOutOfRangeException(nameof(codes), $"code {c} outside [0, {k})");
            }

            counts[c]++;
        }

        return counts;
    }

    /// <summary>
    /// Dead-code restart: every codeword used fewer than <paramref name="minCount"/> times by
    /// <paramref name="codes"/> is replaced by a randomly chosen data vector. Returns how many were restarted.
    /// </summary>
    public static int RestartDeadCodes(Matrix codebook, ReadOnlySpan<int> codes, Matrix data, int minCount, int seed)
    {
        ArgumentNullException.ThrowIfNull(codebook);
        ArgumentNullException.ThrowIfNull(data);
        long[] counts = Counts(codes, codebook.Rows);
        var rng = new Random(seed);
        int restarted = 0;
        for (int k = 0; k < codebook.Rows; k++)
        {
            if (counts[k] < minCount && data.Rows > 0)
            {
                data.Row(rng.Next(data.Rows)).CopyTo(codebook.Row(k));
                restarted++;
            }
        }

        return restarted;
    }
}
