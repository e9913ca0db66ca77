using TorchSharp;
using VqCodec.Codec.Models;
using static TorchSharp.torch;

namespace VqCodec.Codec.Image;

/// <summary>Encoder effort (<see cref="ImageEncodeOptions.RefineSteps"/>): a better latent for the decoder than the amortised encoder's.</summary>
internal static class LatentRefinement
{
    /// <summary>
    /// Encoder-side refinement: moves the latent by Adam steps on the pixel MSE of the image decoded from
    /// its <paramref name="levels"/>-level quantization (straight-through through the quantizer), closing part
    /// of the gap between the amortised encoder and the best latent for this decoder. Runs on windows of
    /// 64×64 cells plus the decoder margin; only each window's centre cells move, later windows see the
    /// refined cells of earlier ones. Pixels outside the image do not count.
    /// </summary>
    public static float[] Refine(ImageModel model, RgbImage image, float[] latent, int gh, int gw, int levels, int steps, CancellationToken cancellationToken)
    {
        const int windowCells = 64;
        const double rate = 0.03;
        const int factor = ImageTiling.Factor;
        int d = model.Config.LatentDim;
        using var scope = NewDisposeScope();
        using var gradients = torch.enable_grad();
        Tensor all = torch.tensor(latent, [1, d, gh, gw]);
        for (int ty = 0; ty < gh; ty += windowCells)
        {
            for (int tx = 0; tx < gw; tx += windowCells)
            {
                using var windowScope = NewDisposeScope();
                (int th, int y0, int y1) = ImageTiling.Window(ty, windowCells, gh, ImageTiling.DecoderMarginCells);
                (int tw, int x0, int x1) = ImageTiling.Window(tx, windowCells, gw, ImageTiling.DecoderMarginCells);
                int h = y1 - y0, w = x1 - x0;
                Tensor target = ImageTiling.Region(image, x0 * factor, y0 * factor, w * factor, h * factor);
                Tensor inside = torch.zeros(1, 1, h * factor, w * factor);
                inside[.., .., ..Math.Min(h * factor, image.Height - (y0 * factor)), ..Math.Min(w * factor, image.Width - (x0 * factor))] = 1f;
                Tensor movable = torch.zeros(1, 1, h, w);
                movable[.., .., (ty - y0)..(ty - y0 + th), (tx - x0)..(tx - x0 + tw)] = 1f;
                using var z = new TorchSharp.Modules.Parameter(all[.., .., y0..y1, x0..x1].clone());
                using var optimizer = torch.optim.Adam([z], rate, beta1: 0.9, beta2: 0.999, eps: 1e-8);
                float count = inside.sum().item<float>() * 3;
                for (int step = 1; step <= steps; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var stepScope = NewDisposeScope();
                    optimizer.zero_grad();
                    NativeCallGuard.Run(() =>
                    {
                        Tensor rows = ImageVqVae.ToRows(z);
                        Tensor q;
                        using (torch.no_grad())
                        {
                            q = model.Network.Quantizer.Decode(model.Network.Quantizer.Encode(rows.detach(), levels));
                        }

                        Tensor zq = ImageVqVae.FromRows(rows + (q - rows).detach(), 1, h, w);
                        Tensor loss = (model.Network.Decode(zq) - target).square().mul(inside).sum() / count;
                        loss.backward();

                        // Only the window's centre cells move: Adam leaves a cell whose gradient is always zero where it is.
                        z.grad!.mul_(movable);
                        return loss;
                    });
                    optimizer.step();
                }

                using (torch.no_grad())
                {
                    all[.., .., y0..y1, x0..x1] = z.detach();
                }
            }
        }

        return all.contiguous().data<float>().ToArray();
    }
}
