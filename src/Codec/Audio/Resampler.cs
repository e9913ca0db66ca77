namespace VqCodec.Codec.Audio;

/// <summary>
/// Band-limited sample-rate conversion by windowed-sinc interpolation (Kaiser window, β = 8.6, 32 zero
/// crossings per side), with the cut-off at 0.95 × the lower Nyquist frequency so that down-sampling
/// does not alias. Works on any ratio; O(N · taps). <see cref="Resample"/> converts a whole signal;
/// an instance converts a stream pushed in pieces with bounded memory and gives the same samples.
/// Output sample n sits at input time n·from/to; the output has ⌈N·to/from⌉ samples.
/// </summary>
public sealed class Resampler
{
    private const int ZeroCrossings = 32;
    private const double Beta = 8.6;
    private static readonly double I0Beta = BesselI0(Beta);

    private readonly double _ratio;
    private readonly double _cutoff;
    private readonly double _halfWidth;
    private float[] _buffer = new float[1024];
    private int _buffered;        // valid samples in _buffer
    private long _bufferStart;    // absolute input index of _buffer[0]
    private long _inputCount;
    private long _nextOutput;
    private bool _flushed;

    /// <summary>Creates a streaming converter from <paramref name="fromRate"/> to <paramref name="toRate"/> Hz.</summary>
    public Resampler(int fromRate, int toRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fromRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toRate);
        FromRate = fromRate;
        ToRate = toRate;
        _ratio = (double)toRate / fromRate;
        _cutoff = 0.95 * Math.Min(1.0, _ratio); // relative to the input Nyquist frequency
        _halfWidth = ZeroCrossings / _cutoff;
    }

    /// <summary>Input rate.</summary>
    public int FromRate { get; }

    /// <summary>Output rate.</summary>
    public int ToRate { get; }

    /// <summary>Output length for an input of <paramref name="inputLength"/> samples.</summary>
    public static long OutputLength(long inputLength, int fromRate, int toRate) =>
        fromRate == toRate ? inputLength : (long)Math.Ceiling(inputLength * ((double)toRate / fromRate));

    /// <summary>Resamples a whole signal from <paramref name="fromRate"/> to <paramref name="toRate"/> Hz.</summary>
    public static float[] Resample(ReadOnlySpan<float> input, int fromRate, int toRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fromRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toRate);
        if (fromRate == toRate || input.Length == 0)
        {
            return input.ToArray();
        }

        long outLength = OutputLength(input.Length, fromRate, toRate);
        if (outLength > int.MaxValue / 2)
        {
            throw new ArgumentException("resampled signal too long");
        }

        var r = new Resampler(fromRate, toRate);
        var output = new float[outLength];
        float[] src = input.ToArray();
        Parallel.For(0, (int)outLength, n => output[n] = r.Sample(src, 0, src.Length, n));
        return output;
    }

    /// <summary>Adds input samples and appends every output sample that no longer depends on future input.</summary>
    public void Push(ReadOnlySpan<float> input, List<float> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (_flushed)
        {
            throw new InvalidOperationException("the resampler was flushed");
        }

        if (_buffered + input.Length > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _buffered + input.Length));
        }

        input.CopyTo(_buffer.AsSpan(_buffered));
        _buffered += input.Length;
        _inputCount += input.Length;
        Produce(output, final: false);
    }

    /// <summary>Ends the input and appends the remaining output samples.</summary>
    public void Flush(List<float> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!_flushed)
        {
            _flushed = true;
            Produce(output, final: true);
        }
    }

    private void Produce(List<float> output, bool final)
    {
        if (_ratio == 1)
        {
            output.AddRange(_buffer.AsSpan(0, _buffered));
            _bufferStart += _buffered;
            _buffered = 0;
            return;
        }

        long total = OutputLength(_inputCount, FromRate, ToRate);
        while (true)
        {
            double t = _nextOutput / _ratio;
            if (final ? _nextOutput >= total : (long)Math.Floor(t + _halfWidth) >= _inputCount)
            {
                break;
            }

            output.Add(Sample(_buffer, _bufferStart, _buffered, _nextOutput));
            _nextOutput++;
        }

        // Drop input no later output sample can reach.
        long keepFrom = Math.Max(_bufferStart, (long)Math.Ceiling((_nextOutput / _ratio) - _halfWidth) - 1);
        int drop = (int)Math.Min(_buffered, keepFrom - _bufferStart);
        if (drop > 0)
        {
            Array.Copy(_buffer, drop, _buffer, 0, _buffered - drop);
            _buffered -= drop;
            _bufferStart += drop;
        }
    }

    /// <summary>Output sample n from input samples [start, start + count) held in src[0 ..].</summary>
    private float Sample(float[] src, long start, int count, long n)
    {
        double t = n / _ratio;
        long first = (long)Math.Ceiling(t - _halfWidth), last = (long)Math.Floor(t + _halfWidth);
        double sum = 0;
        for (long k = Math.Max(start, first); k <= Math.Min(start + count - 1, last); k++)
        {
            double x = k - t;
            double w = x / _halfWidth;
            double kaiser = BesselI0(Beta * Math.Sqrt(Math.Max(0, 1 - (w * w)))) / I0Beta;
            double arg = Math.PI * _cutoff * x;
            double sinc = Math.Abs(arg) < 1e-12 ? 1 : Math.Sin(arg) / arg;
            sum += src[k - start] * _cutoff * sinc * kaiser;
        }

        return (float)sum;
    }

    private static double BesselI0(double x)
    {
        double sum = 1, term = 1, half = x / 2;
        for (int k = 1; k < 50; k++)
        {
            term *= half / k * (half / k);
            sum += term;
            if (term < sum * 1e-16)
            {
                break;
            }
        }

        return sum;
    }
}
