using System.Runtime.InteropServices;

namespace VqCodec.Codec.Models;

/// <summary>
/// Process settings for libtorch applied once, when the first network is loaded or a training run starts: the native
/// allocator's (<see cref="NativeAllocator"/>) and NNPACK switched off. libtorch asks NNPACK whether it can run each
/// four-dimensional convolution before checking the batch size it would need, and on CPUs whose features NNPACK's
/// detection does not recognise (the 2-core AMD EPYC this project is measured on) every such question printed
/// "Could not initialize NNPACK! Reason: Unsupported hardware." to standard error, in the CLI's output too. NNPACK is
/// only ever chosen for batches of 16 or more, which the codec does not run, so nothing else changes.
/// </summary>
internal static class NativeRuntime
{
    private static int _prepared;

    /// <summary>Whether NNPACK was switched off in this process.</summary>
    public static bool NnpackOff { get; private set; }

    public static void Prepare()
    {
        NativeAllocator.Tune();
        if (Interlocked.Exchange(ref _prepared, 1) != 0 || !OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return;
        }

        try
        {
            // at::globalContext().setUserEnabledNNPACK(false), by the Itanium C++ ABI names libtorch exports.
            SetUserEnabledNnpack(GlobalContext(), false);
            NnpackOff = true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Another libtorch build: left as it is (at worst the warning shows).
        }
    }

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory)]
    private static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory)]
    private static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);
}
