using System.Runtime.CompilerServices;
using System.Text;

namespace VqCodec.Codec.Models;

/// <summary>
/// The run-time half of the TorchSharp Linux fix (README, "Why a build step patches TorchSharp"): when this
/// library is loaded by an app whose build did not run the fix (a ProjectReference from outside this
/// repository, which imports no buildTransitive targets), the app's own copy of libLibTorchSharp.so still asks
/// for GLIBCXX_3.4.32 and TorchSharp would fail to load on Debian 12. Before any TorchSharp call, this marks
/// that version requirement weak in the copy beside the app (never in the NuGet cache), exactly as the build
/// step does; it does nothing where the system libstdc++ has the version or the copy is already patched, and
/// leaves a read-only copy alone (TorchSharp's own load error then names the library).
/// </summary>
internal static class TorchSharpNativeFix
{
    private const string Version = "GLIBCXX_3.4.32";

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "The native library must be fixed before TorchSharp's static constructors load it, whichever entry point the app calls first.")]
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("VQC_SKIP_TORCHSHARP_PATCH") == "1")
        {
            return;
        }

        try
        {
            const string libstdcxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
            if (!File.Exists(libstdcxx) || Encoding.ASCII.GetString(File.ReadAllBytes(libstdcxx)).Contains(Version, StringComparison.Ordinal))
            {
                return;
            }

            string baseDir = AppContext.BaseDirectory;
            foreach (string path in new[] { Path.Combine(baseDir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"), Path.Combine(baseDir, "libLibTorchSharp.so") })
            {
                if (File.Exists(path) && MarkWeak(File.ReadAllBytes(path), Version) is { } patched)
                {
                    string tmp = path + ".vqc-tmp";
                    File.WriteAllBytes(tmp, patched);
                    File.Move(tmp, path, overwrite: true);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            // Left as is: TorchSharp reports the load failure itself.
        }
    }

    /// <summary>The ELF64 image with the Vernaux entry of <paramref name="version"/> marked VER_FLG_WEAK, or null when nothing needs changing.</summary>
    internal static byte[]? MarkWeak(byte[] b, string version)
    {
        if (b.Length < 64 || b[0] != 0x7F || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1)
        {
            return null;
        }

        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A), shnum = BitConverter.ToUInt16(b, 0x3C);
        bool patched = false;
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)(shoff + ((long)i * shentsize)));
            if (BitConverter.ToUInt32(b, sh + 4) != 0x6ffffffe)
            {
                continue; // not SHT_GNU_verneed
            }

            long vn = BitConverter.ToInt64(b, sh + 0x18);
            int link = (int)BitConverter.ToUInt32(b, sh + 0x28), count = (int)BitConverter.ToUInt32(b, sh + 0x2C);
            long strings = BitConverter.ToInt64(b, checked((int)(shoff + ((long)link * shentsize))) + 0x18);
            for (int n = 0; n < count; n++)
            {
                int entries = BitConverter.ToUInt16(b, checked((int)vn) + 2);
                long aux = vn + BitConverter.ToUInt32(b, checked((int)vn) + 8);
                for (int a = 0; a < entries; a++)
                {
                    int name = checked((int)(strings + BitConverter.ToUInt32(b, checked((int)aux) + 8)));
                    int end = Array.IndexOf(b, (byte)0, name);
                    ushort flags = BitConverter.ToUInt16(b, checked((int)aux) + 4);
                    if (end > name && Encoding.ASCII.GetString(b, name, end - name) == version && (flags & 0x2) == 0)
                    {
                        flags |= 0x2; // VER_FLG_WEAK
                        b[aux + 4] = (byte)flags;
                        b[aux + 5] = (byte)(flags >> 8);
                        patched = true;
                    }

                    aux += BitConverter.ToUInt32(b, checked((int)aux) + 12);
                }

                vn += BitConverter.ToUInt32(b, checked((int)vn) + 12);
            }
        }

        return patched ? b : null;
    }
}
