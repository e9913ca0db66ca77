using TorchSharp;
using static TorchSharp.torch;

namespace VqCodec.Codec.Training;

/// <summary>Differentiable image measures for training (images [B, 3, H, W] in [0, 1]).</summary>
internal static class ImageLosses
{
    /// <summary>BT.601 luma, [B, 1, H, W].</summary>
    public static Tensor Luma(Tensor rgb) => (rgb[.., 0..1] * 0.299) + (rgb[.., 1..2] * 0.587) + (rgb[.., 2..3] * 0.114);

    /// <summary>
    /// Per image [B]: the mean absolute luma step across the 8×8 grid (x or y a multiple of 8) minus the mean
    /// inside blocks, horizontal and vertical steps pooled: the bench's blockiness (ImageMetrics.Blockiness) in
    /// [0, 1] units instead of pixel levels.
    /// </summary>
    public static Tensor Blockiness(Tensor rgb)
    {
        using var scope = NewDisposeScope();
        Tensor y = Luma(rgb);
        long h = y.shape[2], w = y.shape[3];
        Tensor dx = (y[.., .., .., 1..] - y[.., .., .., ..^1]).abs().flatten(1);
        Tensor dy = (y[.., .., 1.., ..] - y[.., .., ..^1, ..]).abs().flatten(1);

        // Step between columns x-1 and x is a boundary step where x % 8 == 0.
        Tensor mx = torch.arange(1, w).remainder(8).eq(0).to_type(ScalarType.Float32).view(1, 1, w - 1).expand(1, h, w - 1).flatten(1);
        Tensor my = torch.arange(1, h).remainder(8).eq(0).to_type(ScalarType.Float32).view(1, h - 1, 1).expand(1, h - 1, w).flatten(1);
        Tensor d = torch.cat([dx, dy], 1);
        Tensor m = torch.cat([mx, my], 1);
        Tensor across = (d * m).sum(1) / m.sum();
        Tensor inside = (d * (1 - m)).sum(1) / (1 - m).sum();
        return (across - inside).MoveToOuterDisposeScope();
    }

    /// <summary>Per image [B]: mean SSIM of the luma (11-tap Gaussian window, σ 1.5, valid positions only).</summary>
    public static Tensor Ssim(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
        var taps = new float[11];
        for (int i = 0; i < 11; i++)
        {
            taps[i] = (float)Math.Exp(-((i - 5) * (i - 5)) / (2 * 1.5 * 1.5));
        }

        float sum = taps.Sum();

        // The separable blur as weighted sums of shifted slices (valid positions), not as a 1-channel convolution:
        // oneDNN's convolution gave NaN losses within a few training steps on the machine where it also miscomputed
        // some channel counts (Models/ChannelAlignedConv.cs), and this is exact everywhere.
        Tensor Blur(Tensor t)
        {
            long h = t.shape[2], w = t.shape[3];
            Tensor rows = t[.., .., .., 0..(int)(w - 10)] * (taps[0] / sum);
            for (int i = 1; i < 11; i++)
            {
                rows = rows + (t[.., .., .., i..(int)(w - 10 + i)] * (taps[i] / sum));
            }

            Tensor result = rows[.., .., 0..(int)(h - 10), ..] * (taps[0] / sum);
            for (int i = 1; i < 11; i++)
            {
                result = result + (rows[.., .., i..(int)(h - 10 + i), ..] * (taps[i] / sum));
            }

            return result;
        }

        Tensor x = Luma(a), y = Luma(b);
        Tensor mx = Blur(x), my = Blur(y);
        Tensor sxx = Blur(x * x) - (mx * mx), syy = Blur(y * y) - (my * my), sxy = Blur(x * y) - (mx * my);
        Tensor map = ((2 * mx * my) + c1) * ((2 * sxy) + c2) / (((mx * mx) + (my * my) + c1) * (sxx + syy + c2));
        return map.flatten(1).mean([1]).MoveToOuterDisposeScope();
    }

    /// <summary>Per image [B]: 1 − SSIM of the luma averaged over full and half resolution (2×2 average).</summary>
    public static Tensor SsimLoss(Tensor restored, Tensor source)
    {
        using var scope = NewDisposeScope();
        Tensor full = Ssim(restored, source);
        Tensor half = Ssim(nn.functional.avg_pool2d(restored, 2), nn.functional.avg_pool2d(source, 2));
        return (1 - ((full + half) / 2)).MoveToOuterDisposeScope();
    }
}
