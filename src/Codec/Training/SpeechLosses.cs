using TorchSharp;
using VqCodec.Codec.Metrics;
using static TorchSharp.torch;

namespace VqCodec.Codec.Training;

/// <summary>
/// Reconstruction losses of the speech model: multi-scale log-mel L1 (the mel filterbank and the
/// log(mel + 1e-5) floor of <see cref="SpeechMetrics.MelDistance"/>, so the main scale is the reported
/// metric itself), multi-resolution log-magnitude STFT L1, and a waveform L1.
/// </summary>
internal sealed class SpeechLosses : IDisposable
{
    private readonly List<(int Fft, int Hop, Tensor Bank, Tensor Window)> _mel = [];
    private readonly List<(int Fft, int Hop, Tensor Window)> _stft = [];
    private readonly List<(int Fft, int Hop, Tensor Window)> _fine = [];

    private readonly Tensor _bands;
    private readonly Tensor _stoiWindow;

    public SpeechLosses(int sampleRate)
    {
        // One-third-octave bands from 150 Hz (the 15 bands of STOI) over a 512-point STFT.
        const int stoiBins = 257;
        var bandData = new float[15 * stoiBins];
        for (int b = 0; b < 15; b++)
        {
            double centre = 150 * Math.Pow(2, b / 3.0), lo = centre * Math.Pow(2, -1 / 6.0), hi = centre * Math.Pow(2, 1 / 6.0);
            for (int k = 0; k < stoiBins; k++)
            {
                double f = (double)k * sampleRate / 512;
                bandData[(b * stoiBins) + k] = f >= lo && f < hi ? 1f : 0f;
            }
        }

        _bands = torch.tensor(bandData, [15, stoiBins]);
        _stoiWindow = torch.hann_window(400, periodic: true);

        foreach ((int fft, int mels) in new[] { (512, 64), (1024, 80), (2048, 128) })
        {
            double[,] bank = SpeechMetrics.MelBank(mels, fft, sampleRate);
            int bins = bank.GetLength(1);
            var flat = new float[mels * bins];
            for (int m = 0; m < mels; m++)
            {
                for (int k = 0; k < bins; k++)
                {
                    flat[(m * bins) + k] = (float)bank[m, k];
                }
            }

            _mel.Add((fft, fft / 4, torch.tensor(flat, [mels, bins]), torch.hann_window(fft, periodic: true)));
        }

        foreach (int fft in new[] { 128, 256, 640 })
        {
            _stft.Add((fft, fft / 4, torch.hann_window(fft, periodic: true)));
        }

        foreach (int fft in new[] { 1024, 2048 })
        {
            _fine.Add((fft, fft / 4, torch.hann_window(fft, periodic: true)));
        }
    }

    /// <summary>Log-mel spectrogram [B, mels, frames] at the metric's scale (1024 / 256 / 80).</summary>
    public Tensor LogMel(Tensor x)
    {
        var (fft, hop, bank, window) = _mel[1];
        Tensor mag = x.stft(fft, hop, window: window, center: true, return_complex: true).abs();
        return torch.log(bank.matmul(mag) + 1e-5f);
    }

    /// <summary>Mean of the per-scale log-mel L1 distances.</summary>
    public Tensor Mel(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        Tensor total = torch.zeros(1);
        foreach (var (fft, hop, bank, window) in _mel)
        {
            Tensor mx = bank.matmul(x.stft(fft, hop, window: window, center: true, return_complex: true).abs());
            Tensor my = bank.matmul(y.stft(fft, hop, window: window, center: true, return_complex: true).abs());
            total = total + (torch.log(mx + 1e-5f) - torch.log(my + 1e-5f)).abs().mean();
        }

        return (total / _mel.Count).MoveToOuterDisposeScope();
    }

    /// <summary>Mean of the per-resolution log-magnitude L1 distances (floor 1e-4).</summary>
    public Tensor Stft(Tensor x, Tensor y) => LogMagnitudeL1(_stft, x, y);

    /// <summary>
    /// Log-magnitude L1 at 1024- and 2048-point STFTs (16 and 8 Hz bins at 16 kHz): the resolution at which a
    /// voice's individual harmonics, and so its pitch, are visible (the mel and coarser STFT losses see only
    /// envelopes).
    /// </summary>
    public Tensor FineStft(Tensor x, Tensor y) => LogMagnitudeL1(_fine, x, y);

    private static Tensor LogMagnitudeL1(List<(int Fft, int Hop, Tensor Window)> resolutions, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        Tensor total = torch.zeros(1);
        foreach (var (fft, hop, window) in resolutions)
        {
            Tensor sx = x.stft(fft, hop, window: window, center: true, return_complex: true).abs();
            Tensor sy = y.stft(fft, hop, window: window, center: true, return_complex: true).abs();
            total = total + (torch.log(sx + 1e-4f) - torch.log(sy + 1e-4f)).abs().mean();
        }

        return (total / resolutions.Count).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Power-law compressed spectral loss (Braun and Tashev 2021) at 320- and 640-point STFTs:
    /// 0.7 · MSE of |X|^0.3 plus 0.3 · MSE of the compressed complex spectra |X|^0.3·e^{iφ}. Unlike the
    /// log losses it weights time-frequency bins by their energy and penalises phase errors.
    /// </summary>
    public Tensor Compressed(Tensor x, Tensor y, double phaseWeight = 0.3)
    {
        using var scope = NewDisposeScope();
        Tensor total = torch.zeros(1);
        foreach (var (fft, hop, window) in _stft.Where(s => s.Fft >= 256))
        {
            Tensor sx = x.stft(fft, hop, window: window, center: true, return_complex: true);
            Tensor sy = y.stft(fft, hop, window: window, center: true, return_complex: true);
            Tensor ax = sx.abs(), ay = sy.abs();
            Tensor cx = (ax * ax + 1e-8f).pow(0.15f), cy = (ay * ay + 1e-8f).pow(0.15f);
            Tensor magnitude = (cx - cy).square().mean();
            Tensor complexDiff = (sx * (cx / (ax + 1e-8f))) - (sy * (cy / (ay + 1e-8f)));
            total = total + (0.7f * magnitude) + (complexDiff.abs().square().mean() * phaseWeight);
        }

        return (total / 2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A differentiable intelligibility loss after STOI (Taal et al. 2011): 1 − the mean correlation of
    /// one-third-octave band envelopes (150 Hz up, 25 ms windows, 12.5 ms hop) of the clean and decoded
    /// signals over 30-frame (375 ms) segments. Frames are not pruned for silence; segments are taken
    /// every 10 frames.
    /// </summary>
    public Tensor Intelligibility(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        Tensor ex = Envelopes(x), ey = Envelopes(y);               // [B, 15, T]
        long n = Math.Min(30, ex.shape[2]);                          // shorter clips: one shorter segment
        Tensor sx = ex.unfold(2, n, 10), sy = ey.unfold(2, n, 10);   // [B, 15, S, n]
        sx = sx - sx.mean([-1L], keepdim: true);
        sy = sy - sy.mean([-1L], keepdim: true);
        Tensor corr = (sx * sy).sum(-1) / ((sx.square().sum(-1) * sy.square().sum(-1)) + 1e-10f).sqrt();
        return (1 - corr.mean()).MoveToOuterDisposeScope();
    }

    private Tensor Envelopes(Tensor x)
    {
        Tensor power = x.stft(512, 200, win_length: 400, window: _stoiWindow, center: true, return_complex: true).abs().square();
        return (_bands.matmul(power) + 1e-10f).sqrt();
    }

    public void Dispose()
    {
        _bands.Dispose();
        _stoiWindow.Dispose();
        foreach (var m in _mel)
        {
            m.Bank.Dispose();
            m.Window.Dispose();
        }

        foreach (var s in _stft)
        {
            s.Window.Dispose();
        }
    }
}
