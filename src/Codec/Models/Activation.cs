using TorchSharp;
using static TorchSharp.torch;

namespace VqCodec.Codec.Models;

/// <summary>
/// LeakyReLU(0.1) with its slope held in a live <see cref="Scalar"/> for the whole native call.
/// <c>nn.functional.leaky_relu(x, 0.1)</c> converts the slope to a temporary Scalar whose managed object
/// is unreachable while the native call runs; under allocation pressure the finalizer freed it first
/// and libtorch read a corrupt scalar ("Expected false to be true ... toFloat", seen in `vqc bench
/// speech` after about 100 s of metrics work). Keeping the Scalar referenced until the call returns
/// removes the race.
/// </summary>
internal static class Activation
{
    public static Tensor LeakyRelu(Tensor x)
    {
        using Scalar slope = 0.1;
        Tensor y = x.leaky_relu(slope);
        GC.KeepAlive(slope);
        return y;
    }

    /// <summary>LeakyReLU(0.1) of <paramref name="x"/> in place (inference only: nothing may need its old values).</summary>
    public static void LeakyReluInPlace(Tensor x)
    {
        using Scalar slope = 0.1;
        x.leaky_relu_(slope);
        GC.KeepAlive(slope);
    }
}
