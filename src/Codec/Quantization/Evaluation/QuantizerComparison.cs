using System.Diagnostics;

namespace VqCodec.Quantization.Evaluation;

/// <summary>One distortion-rate measurement.</summary>
public sealed record QuantizerPoint(string Dataset, string Method, double BitsPerVector, double Mse, double SnrDb, double FitSeconds, double EncodeVectorsPerSecond);

/// <summary>Approximate nearest-neighbour recall of one method.</summary>
public sealed record RecallPoint(string Dataset, string Method, double BitsPerVector, double RecallAt1, double RecallAt10, double RecallAt100);

/// <summary>
/// The classic comparison (Jégou et al., Babenko and Lempitsky): distortion against bits per vector for
/// VQ, PQ, OPQ, RQ, AQ and CQ with 256-word codebooks on held-out data, and ANN recall@R of the codes
/// (asymmetric distances to the reconstructed database vectors).
/// </summary>
public static class QuantizerComparison
{
    /// <summary>Methods and their code counts M (K = 256, so bits = 8M).</summary>
    public static IEnumerable<(string Name, int M, Func<VectorQuantizer> Make)> Methods(int dimension)
    {
        yield return ("VQ", 1, () => new CodebookQuantizer(256, 25));
        foreach (int m in new[] { 2, 4, 8 }.Where(m => dimension % m == 0))
        {
            yield return ("PQ", m, () => new ProductQuantizer(m, 256, 20));
            yield return ("OPQ", m, () => new OptimizedProductQuantizer(m, 256, 4));
        }

        foreach (int m in new[] { 2, 4, 8 })
        {
            yield return ("RQ", m, () => new ResidualQuantizer(m, 256, beamWidth: 1, maxIterations: 20));
            yield return ("AQ", m, () => new AdditiveQuantizer(m, 256, beamWidth: 4, iterations: 2));
            if (m <= 4)
            {
                yield return ("CQ", m, () => new CompositeQuantizer(m, 256, beamWidth: 2, iterations: 2));
            }
        }
    }

    /// <summary>Fits on <paramref name="train"/> and measures on <paramref name="test"/>.</summary>
    public static List<QuantizerPoint> Distortion(string dataset, Matrix train, Matrix test, int seed, Action<string>? log = null)
    {
        double energy = Enumerable.Range(0, test.Rows).Average(i => (double)VectorMath.Dot(test.Row(i), test.Row(i)));
        var points = new List<QuantizerPoint>();
        foreach ((string name, int m, Func<VectorQuantizer> make) in Methods(train.Cols))
        {
            VectorQuantizer q = make();
            var clock = Stopwatch.StartNew();
            q.Fit(train, seed);
            double fit = clock.Elapsed.TotalSeconds;
            clock.Restart();
            int[] codes = q.EncodeAll(test);
            double enc = test.Rows / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            double mse = VectorMath.MeanSquaredErrorPerVector(test, q.DecodeAll(codes));
            var p = new QuantizerPoint(dataset, name, q.BitsPerVector, mse, 10 * Math.Log10(energy / mse), fit, enc);
            points.Add(p);
            log?.Invoke($"{dataset,-12} {name,-4} {q.BitsPerVector,4:F0} bits  MSE {mse,10:G5}  SNR {p.SnrDb,6:F2} dB  fit {fit,6:F1} s  encode {enc,9:F0} vec/s");
        }

        return points;
    }

    /// <summary>Recall@1/10/100 of the true nearest neighbour among codes ranked by asymmetric distance.</summary>
    public static List<RecallPoint> Recall(string dataset, Matrix train, Matrix database, Matrix queries, int m, int seed, Action<string>? log = null)
    {
        int[] truth = new int[queries.Rows];
        Parallel.For(0, queries.Rows, i => truth[i] = VectorMath.Nearest(database, queries.Row(i), out _));
        var result = new List<RecallPoint>();
        foreach ((string name, Func<VectorQuantizer> make) in new (string, Func<VectorQuantizer>)[]
        {
            ("PQ", () => new ProductQuantizer(m, 256, 20)),
            ("OPQ", () => new OptimizedProductQuantizer(m, 256, 4)),
            ("RQ", () => new ResidualQuantizer(m, 256, beamWidth: 1, maxIterations: 20)),
            ("AQ", () => new AdditiveQuantizer(m, 256, beamWidth: 4, iterations: 2)),
        })
        {
            VectorQuantizer q = make();
            q.Fit(train, seed);
            Matrix recon = q.DecodeAll(q.EncodeAll(database));
            int hit1 = 0, hit10 = 0, hit100 = 0;
            object gate = new();
            Parallel.For(0, queries.Rows, i =>
            {
                var d = new float[recon.Rows];
                for (int j = 0; j < recon.Rows; j++)
                {
                    d[j] = VectorMath.SquaredDistance(queries.Row(i), recon.Row(j));
                }

                float target = d[truth[i]];
                // Rank of the true neighbour = number of database items strictly closer (ties counted in its favour).
                int rank = d.Count(v => v < target);
                lock (gate)
                {
                    hit1 += rank < 1 ? 1 : 0;
                    hit10 += rank < 10 ? 1 : 0;
                    hit100 += rank < 100 ? 1 : 0;
                }
            });
            double n = queries.Rows;
            var p = new RecallPoint(dataset, name, q.BitsPerVector, hit1 / n, hit10 / n, hit100 / n);
            result.Add(p);
            log?.Invoke($"{dataset,-12} {name,-4} {q.BitsPerVector,4:F0} bits  recall@1 {p.RecallAt1:F3}  @10 {p.RecallAt10:F3}  @100 {p.RecallAt100:F3}");
        }

        return result;
    }

    /// <summary>AR(1)-correlated (ρ) or independent (ρ = 0) Gaussian vectors.</summary>
    public static Matrix Gaussian(int n, int d, double rho, int seed)
    {
        var rng = new Random(seed);
        var m = new Matrix(n, d);
        for (int i = 0; i < n; i++)
        {
            double prev = 0;
            for (int j = 0; j < d; j++)
            {
                double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                prev = j == 0 ? g : (rho * prev) + (Math.Sqrt(1 - (rho * rho)) * g);
                m.Data[(i * d) + j] = (float)prev;
            }
        }

        return m;
    }

    /// <summary>8×8 luma patches (BT.601, scaled to [0, 1]) on a grid of <paramref name="stride"/> pixels, from each image (interleaved 8-bit RGB), shuffled, at most <paramref name="max"/>.</summary>
    public static Matrix Patches(IReadOnlyList<(byte[] Pixels, int Width, int Height)> images, int stride, int max, int seed)
    {
        ArgumentNullException.ThrowIfNull(images);
        var rows = new List<float[]>();
        foreach (var img in images)
        {
            for (int y = 0; y + 8 <= img.Height; y += stride)
            {
                for (int x = 0; x + 8 <= img.Width; x += stride)
                {
                    var v = new float[64];
                    for (int dy = 0; dy < 8; dy++)
                    {
                        for (int dx = 0; dx < 8; dx++)
                        {
                            int s = (((y + dy) * img.Width) + x + dx) * 3;
                            v[(dy * 8) + dx] = ((0.299f * img.Pixels[s]) + (0.587f * img.Pixels[s + 1]) + (0.114f * img.Pixels[s + 2])) / 255f;
                        }
                    }

                    rows.Add(v);
                }
            }
        }

        var rng = new Random(seed);
        float[][] shuffled = [.. rows];
        rng.Shuffle(shuffled);
        return Matrix.FromRows(shuffled.Take(max).ToList());
    }
}
