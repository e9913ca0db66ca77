namespace VqCodec.Benchmarks;

/// <summary>Realistic synthetic token streams: Zipf marginals and a first-order Markov chain with a sticky diagonal.</summary>
internal static class TokenSources
{
    public static int[] Zipf(int count, int k, double s, int seed)
    {
        var rng = new Random(seed);
        var cdf = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++)
        {
            sum += 1 / Math.Pow(i + 1, s);
            cdf[i] = sum;
        }

        int[] perm = Enumerable.Range(0, k).ToArray();
        rng.Shuffle(perm);
        var t = new int[count];
        for (int n = 0; n < count; n++)
        {
            int i = Array.BinarySearch(cdf, rng.NextDouble() * sum);
            t[n] = perm[Math.Min(i < 0 ? ~i : i, k - 1)];
        }

        return t;
    }

    public static int[] Markov(int count, int k, double stay, int seed)
    {
        int[] marginal = Zipf(count, k, 1.0, seed);
        var rng = new Random(seed + 1);
        var t = new int[count];
        for (int n = 0; n < count; n++)
        {
            t[n] = n > 0 && rng.NextDouble() < stay ? t[n - 1] : marginal[n];
        }

        return t;
    }

    public static long[] Counts(int[] tokens, int k)
    {
        var c = new long[k];
        foreach (int t in tokens)
        {
            c[t]++;
        }

        return c;
    }
}
