using TorchSharp;
using static TorchSharp.torch;

namespace VqCodec.Codec.Models;

/// <summary>Small PatchGAN discriminator for the optional VQ-GAN adversarial loss (logits per patch).</summary>
internal sealed class PatchDiscriminator : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> layers;

    public PatchDiscriminator(int width = 64, int inChannels = 3)
        : base("PatchDiscriminator")
    {
        layers = nn.Sequential(
            nn.Conv2d(inChannels, width, 4, stride: 2, padding: 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, width * 2, 4, stride: 2, padding: 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width * 2, width * 4, 4, stride: 2, padding: 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width * 4, 1, 3, padding: 1));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => layers.forward(x - 0.5f);

    /// <summary>L_D = −E[log D(x)] − E[log(1 − D(x̂))] on logits.</summary>
    public static Tensor DiscriminatorLoss(Tensor realLogits, Tensor fakeLogits) =>
        nn.functional.softplus(-realLogits).mean() + nn.functional.softplus(fakeLogits).mean();

    /// <summary>L_GAN = −E[log D(x̂)] on logits.</summary>
    public static Tensor GeneratorLoss(Tensor fakeLogits) => nn.functional.softplus(-fakeLogits).mean();
}
