using static TorchSharp.torch;

namespace VqCodec.Codec.Models;

/// <summary>
/// Networks run as chains of stages, each intermediate freed as soon as the next exists (autograd keeps what it needs
/// by itself), so a pass holds a few activations at a time instead of all of them: the native allocator then reuses
/// memory already mapped (design.md, "Native allocator"). Used by the image VQ-VAE and the restorer.
/// </summary>
internal static class Stages
{
    /// <summary>Applies <paramref name="steps"/> in turn to <paramref name="input"/> (which the chain owns).</summary>
    public static Tensor Chain(Tensor input, params Func<Tensor, Tensor>[] steps)
    {
        Tensor h = input;
        foreach (Func<Tensor, Tensor> step in steps)
        {
            h = Then(h, step);
        }

        return h;
    }

    /// <summary><paramref name="step"/> of <paramref name="input"/>, the input freed unless the step returned it.</summary>
    public static Tensor Then(Tensor input, Func<Tensor, Tensor> step)
    {
        Tensor output = step(input);
        if (!ReferenceEquals(output, input))
        {
            input.Dispose();
        }

        return output;
    }

    /// <summary><paramref name="layer"/> of LeakyReLU(<paramref name="x"/>), the activation freed at once.</summary>
    public static Tensor Activated(nn.Module<Tensor, Tensor> layer, Tensor x)
    {
        using Tensor a = Activation.LeakyRelu(x);
        return layer.forward(a);
    }

    /// <summary>A stack of blocks (a <c>Sequential</c>, block by block, or a single module) over <paramref name="x"/>, which stays the caller's.</summary>
    public static Tensor RunStack(nn.Module<Tensor, Tensor> stack, Tensor x)
    {
        if (stack is not TorchSharp.Modules.Sequential)
        {
            return stack.forward(x);
        }

        Tensor h = x.alias();
        foreach (var block in stack.children().Cast<nn.Module<Tensor, Tensor>>())
        {
            h = Then(h, block.forward);
        }

        return h;
    }
}
