namespace VqCodec.Container.Coding;

/// <summary>
/// Integer symbol frequencies that sum to exactly 2^16 with every symbol at least 1, plus cumulative
/// starts. Built deterministically from counts so that encoder and decoder agree bit for bit.
/// </summary>
internal sealed class FrequencyTable
{
    public const int ScaleBits = 16;
    public const int Total = 1 << ScaleBits;

    public FrequencyTable(ushort[] freq)
    {
        Freq = freq;
        Start = new int[freq.Length + 1];
        for (int i = 0; i < freq.Length; i++)
        {
            Start[i + 1] = Start[i] + freq[i];
        }
    }

    public ushort[] Freq { get; }

    /// <summary>Start[i] = sum of Freq[0..i); Start[K] = 2^16.</summary>
    public int[] Start { get; }

    public int Symbols => Freq.Length;

    /// <summary>
    /// Normalises non-negative counts to frequencies summing to 2^16, each at least 1.
    /// f_i = max(1, floor(c_i · 2^16 / T)); the shortfall is added to the most frequent symbol and an
    /// excess is taken from the largest frequencies (lowest index first on ties).
    /// </summary>
    public static ushort[] Normalize(ReadOnlySpan<long> counts)
    {
        int k = counts.Length;
        if (k < 2 || k > Total)
        {
            throw new ArgumentOutOfRangeException(nameof(counts), "2..65536 symbols required");
        }

        long total = 0;
        foreach (long c in counts)
        {
            total += Math.Max(0, c);
        }

        var f = new int[k];
        long sum = 0;
        for (int i = 0; i < k; i++)
        {
            long v = total == 0 ? 0 : Math.Max(0, counts[i]) * Total / total;
            f[i] = (int)Math.Max(1, v);
            sum += f[i];
        }

        long diff = Total - sum;
        while (diff != 0)
        {
            int best = 0;
            for (int i = 1; i < k; i++)
            {
                if (f[i] > f[best])
                {
                    best = i;
                }
            }

            if (diff > 0)
            {
                f[best] += (int)diff;
                diff = 0;
            }
            else
            {
                int take = (int)Math.Min(-diff, f[best] - 1);
                if (take <= 0)
                {
                    throw new InvalidOperationException("cannot normalise: too many symbols for the scale");
                }

                f[best] -= take;
                diff += take;
            }
        }

        var result = new ushort[k];
        for (int i = 0; i < k; i++)
        {
            // A single symbol can hold at most 2^16 - (k - 1) <= 65535, so ushort suffices.
            result[i] = checked((ushort)f[i]);
        }

        return result;
    }

    public static FrequencyTable Uniform(int k)
    {
        var counts = new long[k];
        Array.Fill(counts, 1);
        return new FrequencyTable(Normalize(counts));
    }

    /// <summary>Slot → symbol lookup for O(1) static decoding.</summary>
    public ushort[] BuildLookup()
    {
        var lut = new ushort[Total];
        for (int s = 0; s < Freq.Length; s++)
        {
            lut.AsSpan(Start[s], Freq[s]).Fill((ushort)s);
        }

        return lut;
    }

    /// <summary>Symbol whose [Start, Start+Freq) contains <paramref name="slot"/> (binary search).</summary>
    public int Find(int slot)
    {
        int lo = 0, hi = Freq.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (Start[mid] <= slot)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }
}
