using System.Diagnostics;
using VqCodec.Codec.Image;

namespace VqCodec.Tools;

/// <summary>
/// Shows an image encode's or decode's progress on an interactive terminal once the work has taken more than
/// two seconds (a bar per stage on stderr); shows nothing when stderr is redirected or the work is quick.
/// Reports arrive on the coding thread (a synchronous <see cref="IProgress{T}"/>).
/// </summary>
internal sealed class StageProgress : IProgress<ImageCodingProgress>
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly string _name;
    private ConsoleProgress? _bar;
    private string? _stage;

    private StageProgress(string name)
    {
        _name = name;
    }

    /// <summary>A progress sink for <paramref name="name"/> on a terminal, or null where none is shown (stderr redirected).</summary>
    public static IProgress<ImageCodingProgress>? ForTerminal(string name) => Console.IsErrorRedirected ? null : new StageProgress(name);

    public void Report(ImageCodingProgress value)
    {
        if (_clock.Elapsed < Delay)
        {
            return;
        }

        if (_bar is null || _stage != value.Stage)
        {
            _stage = value.Stage;
            _bar = new ConsoleProgress($"{_name}: {value.Stage}");
        }

        _bar.Update(value.Done, value.Total);
    }
}
