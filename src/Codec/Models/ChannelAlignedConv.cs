using TorchSharp;
using static TorchSharp.torch;

namespace VqCodec.Codec.Models;

/// <summary>
/// Runs a convolution whose input channel count is not a multiple of 16 with its input and weight zero-padded to the next
/// multiple (in training also the output channels, the extra outputs dropped), which computes the same result and
/// gradients. Why (measured 2026-12-07 on an AMD EPYC with AVX-512, libtorch 2.10 / oneDNN 3.7.1): oneDNN's jit:avx2
/// convolution returned wrong outputs for some input channel counts, in inference as in training. Against a float64
/// reference, a 27-input-channel 3×3 convolution (the restorer's first layer) was off by up to 0.5 and the speech
/// encoder's 963-channel first layer by up to 0.13; in 1-D, 520, 776, 968 and 1,000 input channels were wrong and every
/// multiple of 16 tried (16 to 1,024) exact, as were fewer than 8 input channels. Every trainer diverged to NaN within
/// its first steps (in training the output channels are the input channels of the backward pass). With the channels
/// padded here the error is float rounding (under 1e-6). Capping oneDNN at AVX2 did not help; disabling it made
/// training ten times slower.
/// </summary>
internal static class ChannelAlignedConv
{
    private const int Block = 16;

    /// <summary>Channels added to reach the next multiple of 16.</summary>
    public static long PaddingOf(long channels) => (Block - (channels % Block)) % Block;

    /// <summary><paramref name="conv"/> applied to <paramref name="x"/> [B, C, H, W] with channels padded to multiples of 16 (output channels in training only).</summary>
    public static Tensor Forward(TorchSharp.Modules.Conv2d conv, Tensor x)
    {
        (long padIn, long padOut, long outChannels) = Padding(conv.weight!);
        padOut = conv.training ? padOut : 0;
        if (padIn == 0 && padOut == 0)
        {
            return conv.forward(x);
        }

        using var scope = NewDisposeScope();
        Tensor input = nn.functional.pad(x, [0, 0, 0, 0, 0, padIn]);
        Tensor weight = nn.functional.pad(conv.weight!, [0, 0, 0, 0, 0, padIn, 0, padOut]);
        Tensor? bias = conv.bias is null ? null : nn.functional.pad(conv.bias, [0, padOut]);
        Tensor y = nn.functional.conv2d(input, weight, bias, conv.stride, conv.padding!, conv.dilation, conv.groups);
        return y[.., ..(int)outChannels].MoveToOuterDisposeScope();
    }

    /// <summary><paramref name="conv"/> applied to <paramref name="x"/> [B, C, T] with channels padded to multiples of 16 (output channels in training only).</summary>
    public static Tensor Forward(TorchSharp.Modules.Conv1d conv, Tensor x)
    {
        (long padIn, long padOut, long outChannels) = Padding(conv.weight!);
        padOut = conv.training ? padOut : 0;
        if (padIn == 0 && padOut == 0)
        {
            return conv.forward(x);
        }

        using var scope = NewDisposeScope();
        Tensor input = nn.functional.pad(x, [0, 0, 0, padIn]);
        Tensor weight = nn.functional.pad(conv.weight!, [0, 0, 0, padIn, 0, padOut]);
        Tensor? bias = conv.bias is null ? null : nn.functional.pad(conv.bias, [0, padOut]);
        Tensor y = nn.functional.conv1d(input, weight, bias, conv.stride![0], conv.padding![0], conv.dilation![0], conv.groups);
        return y[.., ..(int)outChannels].MoveToOuterDisposeScope();
    }

    /// <summary>A 1-D or 2-D convolution through the aligned path; any other module as it is.</summary>
    public static Tensor Forward(nn.Module<Tensor, Tensor> module, Tensor x) => module switch
    {
        TorchSharp.Modules.Conv1d conv => Forward(conv, x),
        TorchSharp.Modules.Conv2d conv => Forward(conv, x),
        _ => module.forward(x),
    };

    private static (long PadIn, long PadOut, long OutChannels) Padding(Tensor weight) =>
        (PaddingOf(weight.shape[1]), PaddingOf(weight.shape[0]), weight.shape[0]);
}
