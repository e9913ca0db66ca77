using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VqCodec.Codec.Models;

/// <summary>Pre-activation residual block: x + conv(act(conv(act(x)))), 2-D or 1-D.</summary>
internal sealed class ResBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> _conv1;
    private readonly nn.Module<Tensor, Tensor> _conv2;

    public ResBlock(string name, long channels, int kernel, bool oneDimensional, int dilation = 1)
        : base(name)
    {
        long pad = (kernel - 1) / 2 * dilation;
        if (oneDimensional)
        {
            _conv1 = nn.Conv1d(channels, channels, kernel, padding: pad, dilation: dilation);
            _conv2 = nn.Conv1d(channels, channels, 1);
        }
        else
        {
            _conv1 = nn.Conv2d(channels, channels, kernel, padding: pad);
            _conv2 = nn.Conv2d(channels, channels, kernel, padding: pad);
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor h = ChannelAlignedConv.Forward(_conv1, Activation.LeakyRelu(x));
        h = ChannelAlignedConv.Forward(_conv2, Activation.LeakyRelu(h));
        return (x + h).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _conv1.Dispose();
            _conv2.Dispose();
        }

        base.Dispose(disposing);
    }
}
