using VqCodec.Quantization;
using VqCodec.Quantization.Evaluation;

namespace VqCodec.Quantization.Tests;

/// <summary>The worked examples of ../shared/docs/vq-worked-examples.md for the quantizer family, reproduced (the neural modules' examples are in VqCodec.Codec.Tests).</summary>
public class WorkedExampleTests
{
    private static Matrix M(params double[][] rows) => Matrix.FromRows(rows.Select(r => r.Select(v => (float)v).ToArray()).ToList());

    [Fact]
    public void UniformScalar()
    {
        var q = new UniformScalarQuantizer(4);
        q.SetRange(0, 16, 1);
        Assert.Equal(6f, q.Reconstruct(q.Quantize(7.2f)));
        Assert.Equal(14f, q.Reconstruct(q.Quantize(15.9f)));
        Assert.Equal([2f, 6f, 10f, 14f], Enumerable.Range(0, 4).Select(q.Reconstruct));
        Assert.Equal(1, q.Quantize(4f)); // cells are [0,4) [4,8) ...
    }

    [Fact]
    public void LloydMaxAdaptsToTheDensity()
    {
        // Dense cluster in [0, 1), sparse tail at 10..19: Lloyd-Max places a level at the cluster's mean
        // (the uniform quantizer's first cell centre, 2.375, is far from it) and beats uniform cells.
        float[] x = [.. Enumerable.Range(0, 90).Select(i => i / 90f), .. Enumerable.Range(0, 10).Select(i => 10 + i)];
        var q = new LloydMaxScalarQuantizer(4);
        q.Fit(new Matrix(x.Length, 1, x), 1);
        Assert.Contains(q.LevelsOf(0), v => Math.Abs(v - 0.494) < 0.01);
        var u = new UniformScalarQuantizer(4);
        u.Fit(new Matrix(x.Length, 1, x), 1);
        Assert.True(q.Distortion(new Matrix(x.Length, 1, x)) < u.Distortion(new Matrix(x.Length, 1, x)));
    }

    [Fact]
    public void LbgSplitting()
    {
        double[] xs = [2, 3, 3, 4, 5, 6, 8, 9, 12, 13, 14];
        Matrix x = M(xs.Select(v => new[] { v }).ToArray());
        var lbg = new LbgQuantizer(4, 0.01);
        lbg.Fit(x, 1);
        Assert.Equal(79.0 / 11, lbg.Stages[0].Data[0], 4);
        Assert.Equal(new[] { 2.667, 5, 8.5, 13 }, lbg.Codebook.Data.Select(v => Math.Round(v, 3)).ToArray());
        Assert.Equal(0.4697, lbg.Distortion(x), 4);
        Assert.Equal(5.1667, lbg.Distortion(x) * 11, 4);
    }

    [Fact]
    public void LbgFirstSplitStartsFromPerturbedMean()
    {
        // K = 2 starts from M(1 − ε) = 7.110 and M(1 + ε) = 7.254.
        double m = 79.0 / 11;
        Assert.Equal(7.110, Math.Round(m * 0.99, 3));
        Assert.Equal(7.254, Math.Round(m * 1.01, 3));
    }

    private static readonly double[][] PqData =
    [
        [2.0, 3.0, 6.0, 6.0], [2.2, 3.5, 5.8, 6.1], [1.9, 2.8, 6.2, 5.9],
        [4.1, 5.0, 8.1, 7.9], [4.3, 5.1, 7.9, 8.2], [3.8, 4.6, 8.2, 8.1],
    ];

    [Fact]
    public void ProductQuantization()
    {
        var pq = new ProductQuantizer(2, 2);
        pq.Fit(M(PqData), 3);
        Assert.Equal(new[] { 2.033, 3.100, 4.067, 4.900 }, pq.Codebook(0).Data.Select(v => Math.Round(v, 3)).ToArray());
        Assert.Equal(new[] { 6.000, 6.000, 8.067, 8.067 }, pq.Codebook(1).Data.Select(v => Math.Round(v, 3)).ToArray());
        float[] query = [2.1f, 3.4f, 5.7f, 6.2f];
        var codes = new int[2];
        pq.Encode(query, codes);
        Assert.Equal([0, 0], codes);
        var recon = new float[4];
        pq.Decode(codes, recon);
        Assert.Equal(new[] { 2.033, 3.1, 6.0, 6.0 }, recon.Select(v => Math.Round(v, 3)).ToArray());
        Assert.Equal(0.2244, VectorMath.SquaredDistance(query, recon), 3);
        float[] tables = pq.DistanceTables(query);
        Assert.Equal(0.2244, tables[0] + tables[2], 3);
    }

    private static readonly double[][] OpqData =
    [
        [2, 3, 6, 6], [2.2, 3.5, 5.8, 6.1], [1.9, 2.8, 6.2, 5.9], [4.1, 5, 8.1, 7.9],
        [4.3, 5.1, 7.9, 8.2], [3.8, 4.6, 8.2, 8.1], [2.5, 3.2, 6.5, 6.3], [3, 3.8, 7, 6.9],
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void OpqStaysOrthogonalAndNeverLosesToPq(int seed)
    {
        Matrix x = M(OpqData);
        var opq = new OptimizedProductQuantizer(2, 2, iterations: 8);
        opq.Fit(x, seed);
        float[] r = opq.Rotation;
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                double dot = Enumerable.Range(0, 4).Sum(k => (double)r[(k * 4) + i] * r[(k * 4) + j]);
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 5);
            }
        }

        var pq = new ProductQuantizer(2, 2);
        pq.Fit(x, seed);
        Assert.True(opq.Distortion(x) <= pq.Distortion(x) + 1e-6, $"OPQ {opq.Distortion(x)} > PQ {pq.Distortion(x)}");
    }

    [Fact]
    public void ResidualQuantizationStageOne()
    {
        Matrix x = M([2, 3], [3, 3.5], [4, 5], [5, 4.5]);
        var rq = new ResidualQuantizer(2, 2);
        rq.Fit(x, 1);
        Assert.Equal(new[] { 2.5, 3.25, 4.5, 4.75 }, rq.Codebooks[0].Data.Select(v => Math.Round(v, 3)).ToArray());
        var residuals = new List<double[]>();
        for (int i = 0; i < 4; i++)
        {
            int c = VectorMath.Nearest(rq.Codebooks[0], x.Row(i), out _);
            residuals.Add([x.Row(i)[0] - rq.Codebooks[0].Row(c)[0], x.Row(i)[1] - rq.Codebooks[0].Row(c)[1]]);
        }

        Assert.Equal(new[] { -0.5, -0.25, 0.5, 0.25, -0.5, 0.25, 0.5, -0.25 }, residuals.SelectMany(r => r).Select(v => Math.Round(v, 3)).ToArray());
        Assert.True(rq.StageDistortion[1] <= rq.StageDistortion[0]);
    }

    [Fact]
    public void AdditiveQuantizationBeamSearch()
    {
        var aq = new ResidualQuantizer(2, 2, beamWidth: 2);
        aq.SetCodebooks([M([2, 3], [1, 2]), M([3, 4], [2, 3])]);
        var codes = new int[2];
        aq.Encode([5f, 7f], codes);
        Assert.Equal([0, 0], codes);
        var x = new float[2];
        aq.Decode(codes, x);
        Assert.Equal([5f, 7f], x);
        aq.Encode([4f, 6f], codes);
        Assert.Equal([0, 1], codes);
        aq.Decode(codes, x);
        Assert.Equal([4f, 6f], x);

        // First-stage errors from the example: [2,3] leaves [3,4] (25), [1,2] leaves [4,5] (41).
        Assert.Equal(25f, VectorMath.Dot([3f, 4f], [3f, 4f]));
        Assert.Equal(41f, VectorMath.Dot([4f, 5f], [4f, 5f]));
    }

    [Fact]
    public void CompositeLookupDistanceEqualsDirectWhenTheConstraintHolds()
    {
        // Codebooks in orthogonal sub-spaces: every cross product is 0 = ε.
        var cq = new CompositeQuantizer(2, 2);
        cq.SetCodebooks([M([1, 2, 0, 0], [3, -1, 0, 0]), M([0, 0, 2, 5], [0, 0, -4, 1])]);
        cq.SetEpsilon(0);
        float[] q = [0.5f, 1.5f, -2f, 3f];
        float[] t = cq.LookupTables(q);
        foreach (int[] codes in new[] { new[] { 0, 0 }, [0, 1], [1, 0], [1, 1] })
        {
            Assert.Equal(0f, cq.CrossProduct(codes));
            Assert.Equal(cq.DirectDistance(q, codes), cq.LookupDistance(q, t, codes), 4);
        }
    }

    [Fact]
    public void CompositeTrainingDrivesTheConstraintViolationDown()
    {
        Matrix x = Gaussian(600, 8, 0.8, 11);
        var cq = new CompositeQuantizer(2, 16, beamWidth: 2, iterations: 4);
        cq.Fit(x, 5);
        Assert.True(cq.ConstraintViolation[^1] < cq.ConstraintViolation[0] * 0.5, string.Join(", ", cq.ConstraintViolation));
    }

    [Fact]
    public void VqVaeExample()
    {
        var r = NeuralVqMath.VqVae([1.5, 2.7], [[1, 2], [2, 3]], 0.25);
        Assert.Equal(0.74, r.Distances[0], 10);
        Assert.Equal(0.34, r.Distances[1], 10);
        Assert.Equal(1, r.Index);
        Assert.Equal(0.34, r.CodebookLoss, 10);
        Assert.Equal(0.085, r.CommitmentLoss, 10);
    }

    [Fact]
    public void RqVaeExampleWithTie()
    {
        var r = NeuralVqMath.RqVae([2.3, 3.7], [[[2, 3], [3, 4]], [[0.2, 0.5], [0.5, 0.7]]], 0.25);
        Assert.Equal([0, 1], r.Indices);
        Assert.Equal(new[] { 2.5, 3.7 }, r.Quantized.Select(v => Math.Round(v, 10)));
        Assert.Equal(new[] { -0.2, 0.0 }, r.FinalResidual.Select(v => Math.Round(v, 10)));
        Assert.Equal(0.58, r.StageLosses[0], 10);
        Assert.Equal(0.04, r.StageLosses[1], 10);
        Assert.Equal(0.775, r.Total, 10);
    }

    [Fact]
    public void NsvqSubstitutesNoiseOfTheQuantizationErrorsNorm()
    {
        double[] ze = [1.5, 2.7], zq = [2, 3];
        double[] outv = NeuralVqMath.NoiseSubstitution(ze, zq, [3, -4]);
        double err = Math.Sqrt(0.34);
        Assert.Equal(err * 0.6, outv[0] - ze[0], 10);
        Assert.Equal(err * -0.8, outv[1] - ze[1], 10);
    }

    internal static Matrix Gaussian(int n, int d, double rho, int seed) => QuantizerComparison.Gaussian(n, d, rho, seed);
}
