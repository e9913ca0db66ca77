using TorchSharp;
using static TorchSharp.torch;

namespace VqCodec.Codec.Models;

/// <summary>
/// Decoder-side restoration of a decoded image: a small residual CNN at half resolution that sees the
/// decoded image (tokens + detail layer), the image decoded from the tokens alone (side information the
/// decoder already has), the position of each pixel within the detail layer's 8×8 block grid and the
/// detail layer's quantizer step, and predicts a correction added to the decoded image.
/// Inputs: [B, 3, H, W] decoded and base images in [0, 1] (H, W even, the block grid starting at pixel 0),
/// and [B] log2 of the luma step. Output: the restored image (not clamped).
/// </summary>
internal sealed class ImageRestorerNet : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    /// <summary>Input planes at half resolution: 2 × 12 image planes, 2 block-edge planes, 1 step plane.</summary>
    private const int InputPlanes = 27;

    private readonly TorchSharp.Modules.Conv2d _input;
    private readonly nn.Module<Tensor, Tensor> _blocks;
    private readonly TorchSharp.Modules.Conv2d _output;

    public ImageRestorerNet(RestorerConfig config)
        : base("restorer")
    {
        config.Validate();
        Config = config;
        _input = nn.Conv2d(InputPlanes, config.Width, 3, padding: 1);
        var blocks = new List<nn.Module<Tensor, Tensor>>();
        for (int i = 0; i < config.Blocks; i++)
        {
            blocks.Add(new ResBlock($"block{i}", config.Width, 3, oneDimensional: false));
        }

        _blocks = nn.Sequential(blocks);
        var output = nn.Conv2d(config.Width, 12, 3, padding: 1);
        using (torch.no_grad())
        {
            // Start as the identity: the correction is zero until training moves it.
            output.weight!.zero_();
            output.bias!.zero_();
        }

        _output = output;
        RegisterComponents();
    }

    public RestorerConfig Config { get; }

    /// <summary>Step conditioning value for a luma step in pixel levels.</summary>
    public static float StepFeature(double step) => (float)((Math.Log2(step) - 5) / 2);

    public override Tensor forward(Tensor decoded, Tensor baseImage, Tensor stepFeature)
    {
        using var scope = NewDisposeScope();
        long b = decoded.shape[0], h = decoded.shape[2] / 2, w = decoded.shape[3] / 2;
        Tensor x;
        using (Tensor both = torch.cat([decoded, baseImage], 1))
        {
            x = nn.functional.pixel_unshuffle(both, 2);
        }

        // Half-resolution column/row at the first or last pixel pair of an 8-pixel block.
        Tensor col = torch.arange(w).remainder(4);
        Tensor row = torch.arange(h).remainder(4);
        Tensor edgeX = col.eq(0).logical_or(col.eq(3)).to_type(ScalarType.Float32).view(1, 1, 1, w).expand(b, 1, h, w);
        Tensor edgeY = row.eq(0).logical_or(row.eq(3)).to_type(ScalarType.Float32).view(1, 1, h, 1).expand(b, 1, h, w);
        Tensor stepPlane = stepFeature.view(b, 1, 1, 1).expand(b, 1, h, w);
        Tensor features;
        // Without gradients the features are kept channels-last, which oneDNN convolves without reordering each
        // layer's input and output into its blocked layout: two fewer full-size buffers per layer (design.md,
        // "Native allocator"; the restored pixels moved by at most one level in a few places, 100 dB apart).
        Tensor stacked = torch.cat([x, edgeX, edgeY, stepPlane], 1);
        using (Tensor planes = torch.is_grad_enabled() ? stacked : ChannelsLast(stacked))
        {
            x.Dispose();
            features = ChannelAlignedConv.Forward(_input, planes);
        }

        // Each block's input is freed as soon as the next exists, so the pass holds a few buffers, not one per block.
        Tensor correction = Stages.Chain(
            features,
            t => Stages.RunStack(_blocks, t),
            t => Activation.LeakyRelu(t),
            t => ChannelAlignedConv.Forward(_output, t),
            t => nn.functional.pixel_shuffle(t, 2));

        return (decoded + correction).MoveToOuterDisposeScope();
    }

    private static Tensor ChannelsLast(Tensor x)
    {
        using Tensor nhwc = x.permute(0, 2, 3, 1);
        using Tensor dense = nhwc.contiguous();
        x.Dispose();
        return dense.permute(0, 3, 1, 2);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _input.Dispose();
            _blocks.Dispose();
            _output.Dispose();
        }

        base.Dispose(disposing);
    }
}
