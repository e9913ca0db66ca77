using System.Diagnostics;

namespace VqCodec.Tools;

/// <summary>
/// A progress bar on stderr. On a terminal it redraws one line; when stderr is redirected (a log file)
/// it prints a line every 5 % so logs stay readable. Log messages are printed as whole lines.
/// </summary>
internal sealed class ConsoleProgress
{
    private readonly string _label;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private readonly Lock _gate = new();
    private int _lastPercent = -1;
    private long _first = -1;
    private bool _lineOpen;

    public ConsoleProgress(string label)
    {
        _label = label;
    }

    public void Message(string line)
    {
        lock (_gate)
        {
            if (_lineOpen)
            {
                Console.Error.WriteLine();
                _lineOpen = false;
            }

            Console.Error.WriteLine(line);
        }
    }

    public void Update(long done, long total)
    {
        lock (_gate)
        {
            int percent = total <= 0 ? 100 : (int)(100 * done / total);
            if (percent == _lastPercent && _interactive && done != total)
            {
                return;
            }

            // The rate is measured from the first report, so a resumed run (starting at step N) estimates correctly.
            if (_first < 0)
            {
                _first = done;
                _clock.Restart();
            }

            double elapsed = _clock.Elapsed.TotalSeconds;
            long progressed = done - _first;
            string eta = progressed > 0 && done < total ? $" eta {TimeSpan.FromSeconds(elapsed / progressed * (total - done)):hh\\:mm\\:ss}" : string.Empty;
            if (_interactive)
            {
                int width = 30;
                int filled = (int)(width * Math.Min(1.0, total <= 0 ? 1.0 : (double)done / total));
                Console.Error.Write($"\r{_label} [{new string('#', filled)}{new string('.', width - filled)}] {done}/{total} {percent,3}%{eta}   ");
                _lineOpen = true;
                if (done >= total)
                {
                    Console.Error.WriteLine();
                    _lineOpen = false;
                }
            }
            else if (percent / 5 != _lastPercent / 5 || done == total)
            {
                Console.Error.WriteLine($"{_label}: {done}/{total} ({percent}%){eta}");
            }

            _lastPercent = percent;
        }
    }
}
