namespace VqCodec.Tools;

/// <summary>An <see cref="IProgress{T}"/> that reports synchronously on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
