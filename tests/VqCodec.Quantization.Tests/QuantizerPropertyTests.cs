using VqCodec.Quantization;

namespace VqCodec.Quantization.Tests;

public class QuantizerPropertyTests
{
    private static readonly Matrix Data = WorkedExampleTests.Gaussian(1500, 8, 0.9, 3);

    public static TheoryData<string> Names() => ["usq", "lloyd", "kmeans", "lbg", "pq", "opq", "rq", "rq-beam", "aq", "cq", "tsvq", "lattice-d", "lattice-e8"];

    private static VectorQuantizer Make(string name) => name switch
    {
        "usq" => new UniformScalarQuantizer(4),
        "lloyd" => new LloydMaxScalarQuantizer(4),
        "kmeans" => new CodebookQuantizer(32),
        "lbg" => new LbgQuantizer(32),
        "pq" => new ProductQuantizer(2, 16),
        "opq" => new OptimizedProductQuantizer(2, 16, 4),
        "rq" => new ResidualQuantizer(3, 16),
        "rq-beam" => new ResidualQuantizer(3, 16, beamWidth: 4),
        "aq" => new AdditiveQuantizer(3, 16, beamWidth: 4, iterations: 2),
        "cq" => new CompositeQuantizer(2, 16, beamWidth: 2, iterations: 2),
        "tsvq" => new TreeStructuredQuantizer(5),
        "lattice-d" => new LatticeQuantizer(LatticeKind.D, 0.5f),
        "lattice-e8" => new LatticeQuantizer(LatticeKind.E8, 0.5f),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void DecodeOfEncodeHasTheRightShapeAndReducesError(string name)
    {
        VectorQuantizer q = Make(name);
        q.Fit(Data, 7);
        int[] codes = q.EncodeAll(Data);
        Assert.Equal(Data.Rows * q.CodesPerVector, codes.Length);
        Matrix back = q.DecodeAll(codes);
        Assert.Equal((Data.Rows, Data.Cols), (back.Rows, back.Cols));
        Assert.All(back.Data, v => Assert.True(float.IsFinite(v)));
        double energy = Enumerable.Range(0, Data.Rows).Average(i => VectorMath.Dot(Data.Row(i), Data.Row(i)));
        Assert.True(q.Distortion(Data) < energy, $"{name}: distortion {q.Distortion(Data)} vs energy {energy}");
        Assert.True(q.BitsPerVector > 0);
        Assert.Equal(codes, q.EncodeAll(Data));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void ResidualDistortionNeverRisesAcrossStages(int beam)
    {
        var rq = new ResidualQuantizer(6, 16, beamWidth: beam);
        rq.Fit(Data, 2);
        for (int m = 1; m < rq.StageDistortion.Count; m++)
        {
            Assert.True(rq.StageDistortion[m] <= rq.StageDistortion[m - 1] + 1e-9, string.Join(", ", rq.StageDistortion));
        }

        double previous = double.PositiveInfinity;
        for (int stages = 1; stages <= 6; stages++)
        {
            var prefix = new ResidualQuantizer(stages, 16, beamWidth: 1);
            prefix.SetCodebooks(rq.Codebooks[..stages]);
            double d = prefix.Distortion(Data);
            Assert.True(d <= previous + 1e-9, $"stage {stages}: {d} > {previous}");
            previous = d;
        }
    }

    [Fact]
    public void BeamSearchIsNeverWorseThanGreedyOnAverage()
    {
        var rq = new ResidualQuantizer(4, 16);
        rq.Fit(Data, 9);
        double greedy = rq.Distortion(Data);
        rq.BeamWidth = 8;
        Assert.True(rq.Distortion(Data) <= greedy + 1e-9);
    }

    [Fact]
    public void AdditiveQuantizationImprovesOnItsResidualStart()
    {
        var aq = new AdditiveQuantizer(3, 16, beamWidth: 4, iterations: 4);
        aq.Fit(Data, 4);
        Assert.True(aq.History.Min() <= aq.History[0]);
        Assert.Equal(aq.History.Min(), aq.Distortion(Data), 5);
    }

    [Theory]
    [InlineData(LatticeKind.Z, 5)]
    [InlineData(LatticeKind.D, 4)]
    [InlineData(LatticeKind.D, 7)]
    [InlineData(LatticeKind.E8, 8)]
    public void LatticeNearestPointIsExact(LatticeKind kind, int dim)
    {
        var rng = new Random(dim);
        for (int trial = 0; trial < 300; trial++)
        {
            double[] x = Enumerable.Range(0, dim).Select(_ => (rng.NextDouble() * 8) - 4).ToArray();
            double[] p = LatticeQuantizer.NearestPoint(kind, x);
            Assert.True(IsLatticePoint(kind, p));
            double best = Dist(x, p);
            foreach (double[] candidate in Neighbourhood(kind, x))
            {
                Assert.True(best <= Dist(x, candidate) + 1e-9, $"{kind}: found {best}, better {Dist(x, candidate)}");
            }
        }
    }

    private static double Dist(double[] a, double[] b) => a.Select((v, i) => (v - b[i]) * (v - b[i])).Sum();

    private static bool IsLatticePoint(LatticeKind kind, double[] p)
    {
        bool integer = p.All(v => v == Math.Floor(v));
        bool half = p.All(v => v - Math.Floor(v) == 0.5);
        return kind switch
        {
            LatticeKind.Z => integer,
            LatticeKind.D => integer && ((long)p.Sum() & 1) == 0,
            _ => (integer || half) && (((long)Math.Round(p.Sum())) & 1) == 0,
        };
    }

    /// <summary>Every lattice point with coordinates within ±1 of floor(x) (and the half-integer coset for E8).</summary>
    private static IEnumerable<double[]> Neighbourhood(LatticeKind kind, double[] x)
    {
        int d = x.Length;
        foreach (double offset in kind == LatticeKind.E8 ? new[] { 0.0, 0.5 } : [0.0])
        {
            int total = (int)Math.Pow(3, d);
            for (int code = 0; code < total; code++)
            {
                var p = new double[d];
                int c = code;
                for (int i = 0; i < d; i++)
                {
                    p[i] = Math.Floor(x[i] - offset) + offset + new[] { 0, 1, -1 }[c % 3];
                    c /= 3;
                }

                if (IsLatticePoint(kind, p))
                {
                    yield return p;
                }
            }
        }
    }

    [Fact]
    public void TreeStructuredQuantizerDescendsToALeaf()
    {
        var t = new TreeStructuredQuantizer(4);
        t.Fit(Data, 1);
        int[] codes = t.EncodeAll(Data);
        Assert.All(codes, c => Assert.InRange(c, 0, 15));
        var flat = new CodebookQuantizer(16);
        flat.Fit(Data, 1);
        Assert.True(t.Distortion(Data) >= flat.Distortion(Data) * 0.95);
    }

    [Fact]
    public void Lvq1UpdatesTowardTheRightClassAndAwayFromTheWrongOne()
    {
        var lvq = new LvqClassifier(2, 1);
        lvq.SetPrototypes(Matrix.FromRows([[0f, 0f], [10f, 10f]]), [0, 1]);
        lvq.Step([1f, 1f], 0, 0.5);
        Assert.Equal([0.5f, 0.5f], lvq.Codebook.Row(0).ToArray());
        lvq.Step([1f, 1f], 1, 0.5);
        Assert.Equal([0.25f, 0.25f], lvq.Codebook.Row(0).ToArray());
    }

    [Fact]
    public void Lvq1LearnsASeparableProblem()
    {
        var rng = new Random(1);
        var rows = new List<float[]>();
        var labels = new List<int>();
        for (int i = 0; i < 400; i++)
        {
            int c = i % 2;
            rows.Add([(float)(rng.NextDouble() + (c * 1.2)), (float)rng.NextDouble()]);
            labels.Add(c);
        }

        var lvq = new LvqClassifier(2, 2, 0.1, 10);
        Matrix x = Matrix.FromRows(rows);
        lvq.FitSupervised(x, [.. labels], 3);
        double accuracy = Enumerable.Range(0, x.Rows).Count(i => lvq.Predict(x.Row(i)) == labels[i]) / (double)x.Rows;
        Assert.True(accuracy > 0.9, $"accuracy {accuracy}");
    }

    [Fact]
    public void CodebookHealthTools()
    {
        int[] codes = [0, 0, 1, 1, 2, 2, 3, 3];
        Assert.Equal(0.5, CodebookHealth.Utilisation(codes, 8));
        Assert.Equal(4, CodebookHealth.Perplexity(codes, 8), 10);
        Assert.Equal(1, CodebookHealth.Perplexity([5, 5, 5], 8), 10);
        var cb = new Matrix(8, 2);
        int restarted = CodebookHealth.RestartDeadCodes(cb, codes, Matrix.FromRows([[7f, 7f]]), 1, 1);
        Assert.Equal(4, restarted);
        Assert.Equal([7f, 7f], cb.Row(7).ToArray());
        Assert.Equal([0f, 0f], cb.Row(0).ToArray());
    }
}
