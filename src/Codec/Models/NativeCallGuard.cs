using System.Runtime;

namespace VqCodec.Codec.Models;

/// <summary>
/// Runs a block of TorchSharp inference calls with garbage collection suspended. TorchSharp 0.107 turns
/// .NET numbers into temporary <c>Scalar</c> objects (for example the alpha of every tensor addition)
/// whose managed wrapper is unreachable while the native call runs; if another thread triggers a GC
/// then, the finalizer can free the scalar under libtorch ("Expected false to be true ... toFloat",
/// seen in the speech bench and in BenchmarkDotNet). With no GC inside the block nothing can be
/// finalized early; the temporaries are collected afterwards. Blocks are serialised (a no-GC region
/// is process-wide), and the budget covers the small managed wrappers a window allocates; if other
/// threads exhaust it the runtime ends the region early, which is detected and tolerated.
/// </summary>
internal static class NativeCallGuard
{
    private const long Budget = 64L << 20;
    private static readonly Lock Gate = new();

    public static T Run<T>(Func<T> body)
    {
        lock (Gate)
        {
            bool started = false;
            try
            {
                started = GC.TryStartNoGCRegion(Budget);
            }
            catch (InvalidOperationException)
            {
                // Already inside a region started by the application: run as is.
            }

            try
            {
                return body();
            }
            finally
            {
                if (started && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
                {
                    GC.EndNoGCRegion();
                }
            }
        }
    }
}
