namespace VqCodec.Quantization;

/// <summary>
/// Lloyd's k-means in squared L2 with k-means++ seeding or a given initial codebook. Empty cells are
/// re-seeded with the point farthest from its codeword. Codewords can be put in a canonical
/// (lexicographic) order so that codes do not depend on the seeding permutation.
/// </summary>
public static class KMeansClustering
{
    /// <summary>Fits k codewords; returns the codebook (k×D).</summary>
    public static Matrix Fit(Matrix data, int k, int seed, int maxIterations = 50, Matrix? initial = null, bool canonicalOrder = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (k < 1 || data.Rows < 1)
        {
            throw new ArgumentException("k and the number of vectors must be positive");
        }

        Matrix centers = initial?.Clone() ?? SeedPlusPlus(data, k, seed);
        var assign = new int[data.Rows];
        Array.Fill(assign, -1);
        for (int it = 0; it < maxIterations; it++)
        {
            int changed = Assign(data, centers, assign, out float[] dist);
            Update(data, centers, assign, dist);
            if (changed == 0 && it > 0)
            {
                break;
            }
        }

        if (canonicalOrder)
        {
            centers = Sort(centers);
        }

        return centers;
    }

    /// <summary>Nearest-codeword assignment; returns how many assignments changed.</summary>
    public static int Assign(Matrix data, Matrix centers, int[] assign, out float[] distances)
    {
        var dist = new float[data.Rows];
        int changed = 0;
        Parallel.For(0, data.Rows, () => 0, (i, _, local) =>
        {
            int a = VectorMath.Nearest(centers, data.Row(i), out float d);
            dist[i] = d;
            if (a != assign[i])
            {
                assign[i] = a;
                local++;
            }

            return local;
        }, local => Interlocked.Add(ref changed, local));
        distances = dist;
        return changed;
    }

    private static void Update(Matrix data, Matrix centers, int[] assign, float[] dist)
    {
        int k = centers.Rows, d = data.Cols;
        var sums = new double[k * d];
        var counts = new int[k];
        for (int i = 0; i < data.Rows; i++)
        {
            int a = assign[i];
            counts[a]++;
            Span<float> row = data.Row(i);
            for (int j = 0; j < d; j++)
            {
                sums[(a * d) + j] += row[j];
            }
        }

        var taken = new HashSet<int>();
        for (int c = 0; c < k; c++)
        {
            if (counts[c] > 0)
            {
                for (int j = 0; j < d; j++)
                {
                    centers.Data[(c * d) + j] = (float)(sums[(c * d) + j] / counts[c]);
                }

                continue;
            }

            // Empty cell: move the codeword to the point that is currently worst served.
            int far = -1;
            for (int i = 0; i < data.Rows; i++)
            {
                if (!taken.Contains(i) && (far < 0 || dist[i] > dist[far]))
                {
                    far = i;
                }
            }

            if (far >= 0)
            {
                taken.Add(far);
                data.Row(far).CopyTo(centers.Row(c));
                dist[far] = 0;
            }
        }
    }

    /// <summary>k-means++ seeding (Arthur and Vassilvitskii 2007).</summary>
    public static Matrix SeedPlusPlus(Matrix data, int k, int seed)
    {
        var rng = new Random(seed);
        var centers = new Matrix(k, data.Cols);
        int first = rng.Next(data.Rows);
        data.Row(first).CopyTo(centers.Row(0));
        var best = new double[data.Rows];
        for (int i = 0; i < data.Rows; i++)
        {
            best[i] = VectorMath.SquaredDistance(data.Row(i), centers.Row(0));
        }

        for (int c = 1; c < k; c++)
        {
            double total = best.Sum();
            int pick;
            if (total <= 0)
            {
                pick = rng.Next(data.Rows);
            }
            else
            {
                double u = rng.NextDouble() * total;
                pick = data.Rows - 1;
                for (int i = 0; i < data.Rows; i++)
                {
                    u -= best[i];
                    if (u <= 0)
                    {
                        pick = i;
                        break;
                    }
                }
            }

            data.Row(pick).CopyTo(centers.Row(c));
            Parallel.For(0, data.Rows, i => best[i] = Math.Min(best[i], VectorMath.SquaredDistance(data.Row(i), centers.Row(c))));
        }

        return centers;
    }

    /// <summary>Codewords in lexicographic order.</summary>
    public static Matrix Sort(Matrix centers)
    {
        int[] order = Enumerable.Range(0, centers.Rows).ToArray();
        Array.Sort(order, (a, b) =>
        {
            Span<float> ra = centers.Row(a), rb = centers.Row(b);
            for (int j = 0; j < ra.Length; j++)
            {
                int c = ra[j].CompareTo(rb[j]);
                if (c != 0)
                {
                    return c;
                }
            }

            return a.CompareTo(b);
        });
        return centers.SelectRows(order);
    }
}
