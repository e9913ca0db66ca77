using System.Runtime.InteropServices;

namespace VqCodec.Codec.Models;

/// <summary>
/// Keeps glibc's allocator from handing libtorch's large activation buffers back to the kernel after every layer.
/// By default glibc serves blocks above a dynamic threshold (at most 32 MB) with fresh <c>mmap</c> pages and trims
/// the heap top above twice that, so a network whose activations are a few MB to tens of MB (the restorer's are
/// 12.5 MB each on a 768×512 image) page-faults and zeroes its working memory again on every layer, in kernel time.
/// Measured (2026-12-07, 2-core AMD EPYC, 12 runs each, design.md "Native allocator"): the restorer's forward pass
/// on a 768×512 image took a median of 230–330 ms with glibc's defaults and 87–92 ms with these settings. Applied once, when the first network is loaded (not when the library is merely
/// referenced); it is process-wide, so an app that wants glibc's defaults sets the environment variable
/// <c>VQC_KEEP_MALLOC=1</c> or the <see cref="AppContext"/> switch <c>VqCodec.KeepNativeAllocator</c>. The cost is
/// that freed native memory up to <see cref="TrimThreshold"/> stays with the process for the next call.
/// </summary>
internal static class NativeAllocator
{
    /// <summary>Blocks up to this size come from the heap (glibc's largest allowed mmap threshold).</summary>
    public const int MmapThreshold = 32 << 20;

    /// <summary>Free memory at the heap top is returned to the kernel only above this.</summary>
    public const int TrimThreshold = 512 << 20;

    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;
    private const int MArenaMax = -8;

    private static int _state;

    /// <summary>Whether the settings were applied in this process.</summary>
    public static bool Applied => Volatile.Read(ref _state) == 1;

    /// <summary>Applies the settings once per process on glibc Linux unless the app opted out; elsewhere does nothing.</summary>
    public static void Tune()
    {
        if (Interlocked.CompareExchange(ref _state, 2, 0) != 0 || !OperatingSystem.IsLinux()
            || Environment.GetEnvironmentVariable("VQC_KEEP_MALLOC") == "1"
            || (AppContext.TryGetSwitch("VqCodec.KeepNativeAllocator", out bool keep) && keep))
        {
            return;
        }

        try
        {
            // The mmap threshold first: setting either value turns glibc's dynamic threshold off, and with the trim
            // threshold alone every block over 128 KB would be mmapped (measured ten times slower).
            if (mallopt(MMmapThreshold, MmapThreshold) == 1 && mallopt(MTrimThreshold, TrimThreshold) == 1 && mallopt(MArenaMax, 1) == 1)
            {
                Volatile.Write(ref _state, 1);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (musl, for one): left as it is.
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int mallopt(int param, int value);
}
