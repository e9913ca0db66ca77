using TorchSharp;
using VqCodec.Codec.Models;
using static TorchSharp.torch;

namespace VqCodec.Codec.Tests;

/// <summary>The worked examples of ../shared/docs/vq-worked-examples.md for the codec's neural modules (residual VQ, NSVQ, straight-through, VQGAN losses), reproduced; the quantizer family's are in VqCodec.Quantization.Tests.</summary>
public class NeuralWorkedExampleTests
{
    [Fact]
    public void NeuralResidualVqModulePicksTheSameCodes()
    {
        using var rvq = new ResidualVq("t", 2, 2, 2);
        using (torch.no_grad())
        {
            rvq.Codebook(0).copy_(torch.tensor(new float[] { 1, 2, 2, 3 }, [2, 2]));
            rvq.Codebook(1).copy_(torch.tensor(new float[] { 0.2f, 0.5f, 0.5f, 0.7f }, [2, 2]));
        }

        using var z = torch.tensor(new float[] { 1.5f, 2.7f }, [1, 2]);
        using Tensor codes = rvq.Encode(z, 2);
        Assert.Equal(1, codes[0, 0].item<long>());
        using Tensor back = rvq.Decode(codes);
        Assert.Equal(new[] { 2f, 3f }.Select((v, i) => v + (new[] { 0.2f, 0.5f }[i] * (codes[0, 1].item<long>() == 0 ? 1 : 0)) + (new[] { 0.5f, 0.7f }[i] * (codes[0, 1].item<long>() == 1 ? 1 : 0))).ToArray(), back.data<float>().ToArray());
    }

    [Fact]
    public void NsvqSubstitutesNoiseOfTheQuantizationErrorsNorm()
    {
        // The training module (the worked example's arithmetic is VqCodec.Quantization's NeuralVqMath): ‖output − z‖
        // equals ‖z − z_q‖ row by row, and gradients reach z exactly.
        using var rvq = new ResidualVq("n", 2, 4, 3);
        using var z = torch.randn(5, 3).requires_grad_(true);
        using var mask = torch.ones(5, 2);
        RvqOutput o = rvq.Forward(z, mask, GradientEstimator.NoiseSubstitution, update: false, generator: null);
        using Tensor decoded = rvq.Decode(o.Codes);
        using Tensor n1 = (o.Quantized - z).norm(1);
        using Tensor n2 = (z - decoded).norm(1);
        Assert.True(torch.allclose(n1, n2, 1e-4, 1e-5));
        o.Quantized.sum().backward();
        Assert.NotNull(z.grad);
    }

    [Fact]
    public void StraightThroughPassesTheGradientUnchanged()
    {
        using var rvq = new ResidualVq("s", 3, 8, 4);
        using var z = torch.randn(6, 4).requires_grad_(true);
        RvqOutput o = rvq.Forward(z, torch.ones(6, 3), GradientEstimator.StraightThrough, update: false, generator: null);
        using Tensor zq = rvq.Decode(o.Codes);
        Assert.True(torch.allclose(o.Quantized, zq, 1e-5, 1e-5));
        o.Quantized.sum().backward();
        Assert.True(torch.allclose(z.grad!, torch.ones(6, 4)));
    }

    [Fact]
    public void VqGanLosses()
    {
        using var real = torch.tensor(new float[] { 2f, -1f });
        using var fake = torch.tensor(new float[] { 0f, 1f });
        double sig(double v) => 1 / (1 + Math.Exp(-v));
        double ld = -((Math.Log(sig(2)) + Math.Log(sig(-1))) / 2) - ((Math.Log(1 - sig(0)) + Math.Log(1 - sig(1))) / 2);
        double lg = -(Math.Log(sig(0)) + Math.Log(sig(1))) / 2;
        Assert.Equal(ld, PatchDiscriminator.DiscriminatorLoss(real, fake).item<float>(), 5);
        Assert.Equal(lg, PatchDiscriminator.GeneratorLoss(fake).item<float>(), 5);
    }
}
