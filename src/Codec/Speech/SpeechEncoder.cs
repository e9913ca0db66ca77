using TorchSharp;
using VqCodec.Codec.Audio;
using VqCodec.Codec.Models;
using VqCodec.Container;
using static TorchSharp.torch;

namespace VqCodec.Codec.Speech;

/// <summary>
/// Streaming speech encoder: push mono PCM at the source rate in pieces of any size with
/// <see cref="Write"/>; container bytes go to the output stream segment by segment as soon as they are
/// final, and <see cref="Complete"/> writes the seek table and end chunk. Memory is bounded by the
/// processing window (a few seconds), not by the signal length. The header records the source length,
/// so it must be known up front (<see cref="SpeechSource"/>). Not thread-safe.
/// </summary>
public sealed class SpeechEncoder : IDisposable
{
    private readonly SpeechModel _model;
    private readonly VqcWriter _writer;
    private readonly Resampler? _resampler;
    private readonly List<float> _resampled = [];
    private readonly List<float> _pcm = [];      // model-rate samples from frame (_pcmStartFrame) on
    private readonly List<int>[] _tokens;        // per level, tokens of frames from _segmentStart on
    private readonly int _hop;
    private readonly int _margin;
    private readonly int _window;
    private readonly long _modelSamples;
    private readonly int _frames;
    private long _pcmStart;                      // absolute model-rate index of _pcm[0]
    private long _received;
    private int _nextFrame;
    private int _nextSegment;
    private bool _completed;
    private readonly bool _voice;                          // send voice parameters (format 1.4)
    private readonly bool _measureGain;                    // measure their gains (not in a rate search's first pass)
    private readonly List<byte> _pitch = [];               // per frame from the current segment on, with _tokens
    private readonly List<double> _energyIn = [];          // per frame: K-weighted energy of the input and of the decoder's output before gain
    private readonly List<double> _energyOut = [];
    private readonly HarmonicSynthesizer? _harmonics;
    private readonly int _envelopeStep;                    // quarter dB of the envelope corrections (format 1.6); 0 = none
    private readonly int _envelopeRows;                    // corrections per token frame: 1, or 2 (format 1.7)
    private readonly List<sbyte[]> _envelope = [];         // per frame (_envelopeRows × bands), with _pitch
    private double _loudest;                               // loudest token frame so far (energy around its centre)

    /// <summary>Creates an encoder writing to <paramref name="output"/>. No bytes are written before the first <see cref="Write"/> or <see cref="Complete"/>.</summary>
    /// <exception cref="ArgumentException">Zero-length or over-long source, unsupported rate, or options that do not fit the model.</exception>
    public SpeechEncoder(SpeechModel model, Stream output, SpeechSource source, SpeechEncodeOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new SpeechEncodeOptions();
        SpeechModelConfig config = model.Config;
        if (source.SampleRate is < 1000 or > 384000)
        {
            throw new ArgumentException($"sample rate {source.SampleRate} Hz is outside 1 kHz to 384 kHz (the container limit)");
        }

        if (source.BitsPerSample is not (8 or 16 or 24 or 32))
        {
            throw new ArgumentException($"source depth {source.BitsPerSample} bits: the header records 8, 16, 24 or 32");
        }

        if (source.SampleCount <= 0)
        {
            throw new ArgumentException("the audio has no samples");
        }

        if (source.SampleCount > VqcLimits.MaxSampleCount)
        {
            throw new ArgumentException($"the audio has more than {VqcLimits.MaxSampleCount} samples");
        }

        int levels = options.EffectiveLevels(config.Levels);
        if (levels < 1 || levels > config.Levels)
        {
            throw new ArgumentException($"the model has {config.Levels} levels; {levels} were requested");
        }

        _model = model;
        _hop = config.Hop;
        _margin = config.ContextFrames;
        _window = options.WindowFrames;
        _modelSamples = Resampler.OutputLength(source.SampleCount, source.SampleRate, config.SampleRate);
        long frames = (_modelSamples + _hop - 1) / _hop;
        if (frames > VqcLimits.MaxTokensPerLevel)
        {
            throw new ArgumentException($"the audio is longer than {(long)VqcLimits.MaxTokensPerLevel * _hop / config.SampleRate} s, the container's limit");
        }

        _frames = (int)frames;
        _resampler = source.SampleRate == config.SampleRate ? null : new Resampler(source.SampleRate, config.SampleRate);
        Source = source;
        Header = new VqcHeader
        {
            Kind = MediaKind.Speech,
            SampleRate = source.SampleRate,
            SampleCount = source.SampleCount,
            Channels = 1,
            BitsPerSample = source.BitsPerSample,
            ModelId = model.Id,
            ModelHash = model.Hash,
            PriorsHash = model.Priors?.Hash ?? new byte[32],
            SegmentLength = Math.Min(options.SegmentFrames, _frames),
            Levels = Enumerable.Repeat(new TokenLevelLayout(config.CodebookSize, 1, _frames), levels).ToArray(),
        };
        Header.Validate();
        _tokens = Enumerable.Range(0, levels).Select(_ => new List<int>()).ToArray();
        _voice = options.Voice;
        _measureGain = options.MeasureVoiceGain;
        _harmonics = _voice ? new HarmonicSynthesizer(config) : null;
        _envelopeStep = _voice && options.Envelope ? options.EnvelopeStepQuarterDb : 0;
        _envelopeRows = _envelopeStep > 0 && options.EnvelopeHalfFrames ? 2 : 1;
        _writer = new VqcWriter(output, Header, new VqcWriterOptions { Policy = options.Policy, Priors = model.Priors, SegmentVoices = _voice, SegmentEnvelopes = _envelopeStep > 0, EnvelopesAfterSynthesis = _envelopeStep > 0, EnvelopeHalfFrames = _envelopeRows > 1 }, leaveOpen);
        Metadata = options.Metadata is { Count: > 0 } m ? m : null;
    }

    /// <summary>The header the file gets.</summary>
    public VqcHeader Header { get; }

    /// <summary>The source description given to the constructor.</summary>
    public SpeechSource Source { get; }

    /// <summary>Container bytes written so far.</summary>
    public long BytesWritten => _writer.BytesWritten;

    private IReadOnlyDictionary<string, string>? Metadata { get; set; }

    /// <summary>Adds mono PCM samples at the source rate (nominally in [−1, 1]; clipped there).</summary>
    /// <exception cref="InvalidOperationException">More samples than the source declared, or after <see cref="Complete"/>.</exception>
    /// <exception cref="ArgumentException">A sample is NaN or infinite.</exception>
    public void Write(ReadOnlySpan<float> pcm)
    {
        if (_completed)
        {
            throw new InvalidOperationException("the encoder was completed");
        }

        if (_received + pcm.Length > Source.SampleCount)
        {
            throw new InvalidOperationException($"more samples than the {Source.SampleCount} declared");
        }

        foreach (float v in pcm)
        {
            if (!float.IsFinite(v))
            {
                throw new ArgumentException($"sample {_received} or later is NaN or infinite");
            }
        }

        _received += pcm.Length;
        if (_resampler is null)
        {
            Append(pcm);
        }
        else
        {
            _resampled.Clear();
            _resampler.Push(pcm, _resampled);
            Append(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_resampled));
        }

        Encode(final: false);
    }

    /// <summary>Encodes what is left and finishes the file (seek table and end chunk).</summary>
    /// <exception cref="InvalidOperationException">Fewer samples than the source declared.</exception>
    public void Complete()
    {
        if (_completed)
        {
            return;
        }

        if (_received != Source.SampleCount)
        {
            throw new InvalidOperationException($"{_received} samples were written; the source declared {Source.SampleCount}");
        }

        if (_resampler is not null)
        {
            _resampled.Clear();
            _resampler.Flush(_resampled);
            Append(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_resampled));
        }

        Encode(final: true);
        _completed = true;
        _writer.Dispose();
    }

    private void Append(ReadOnlySpan<float> samples)
    {
        foreach (float v in samples)
        {
            _pcm.Add(Math.Clamp(v, -1f, 1f));
        }
    }

    private void Encode(bool final)
    {
        if (Metadata is not null)
        {
            _writer.WriteMetadata(Metadata);
            Metadata = null;
        }

        long available = _pcmStart + _pcm.Count;
        while (_nextFrame < _frames)
        {
            int coreEnd = Math.Min(_frames, _nextFrame + _window);
            int hi = Math.Min(_frames, coreEnd + _margin);
            if (!final && (long)hi * _hop > available && available < _modelSamples)
            {
                break;
            }

            int lo = Math.Max(0, _nextFrame - _margin);
            float[] x = SampleWindow(lo, hi);
            int skip = _nextFrame - lo, count = coreEnd - _nextFrame;
            int[][] codes = SpeechCodec.EncodeWindow(_model, x, _tokens.Length, 0, hi - lo);
            for (int l = 0; l < _tokens.Length; l++)
            {
                _tokens[l].AddRange(codes[l].AsSpan(skip, count));
            }

            if (_voice)
            {
                AnalyseVoice(x, codes, skip, count);
            }

            _nextFrame = coreEnd;
            FlushSegments();
            long drop = Math.Max(0, ((long)(_nextFrame - _margin) * _hop) - _pcmStart);
            drop = Math.Min(drop, _pcm.Count);
            _pcm.RemoveRange(0, (int)drop);
            _pcmStart += drop;
        }
    }

    private float[] SampleWindow(int lo, int hi)
    {
        var x = new float[(hi - lo) * _hop];
        long from = (long)lo * _hop;
        int start = (int)(from - _pcmStart);
        int n = (int)Math.Min(x.Length, Math.Min(_modelSamples - from, _pcm.Count - start));
        if (n > 0)
        {
            _pcm.CopyTo(start, x, 0, n);
        }

        return x;
    }

    /// <summary>
    /// The voice parameters of the core frames of a window (spec §4c, <c>design.md</c>): the pitch of every frame
    /// (YIN at the frame's centre; unvoiced when the frame is more than 20 dB below the loudest so far), and, by
    /// decoding the window's tokens with that pitch, the energies the gain of each segment is measured from.
    /// </summary>
    private void AnalyseVoice(float[] x, int[][] codes, int skip, int count)
    {
        int frames = codes[0].Length, sampleRate = _model.Config.SampleRate;
        var centres = new long[frames];
        var energy = new double[frames];
        for (int j = 0; j < frames; j++)
        {
            centres[j] = ((long)j * _hop) + (_hop / 2);
            for (long i = Math.Max(0, centres[j] - _hop); i < Math.Min(x.Length, centres[j] + _hop); i++)
            {
                energy[j] += x[i] * (double)x[i];
            }
        }

        for (int j = skip; j < skip + count; j++)
        {
            _loudest = Math.Max(_loudest, energy[j]);
        }

        double[] f0 = Metrics.PitchTracker.TrackAt(x, sampleRate, centres);
        var pitch = new byte[frames];
        for (int j = 0; j < frames; j++)
        {
            pitch[j] = energy[j] >= _loudest * VoicedEnergyShare ? SegmentVoice.PitchCode(f0[j]) : (byte)0;
        }

        _pitch.AddRange(pitch.AsSpan(skip, count));
        if (!_measureGain)
        {
            _energyIn.AddRange(new double[count]);
            _energyOut.AddRange(new double[count]);
            for (int j = 0; j < count && _envelopeStep > 0; j++)
            {
                _envelope.Add(new sbyte[_envelopeRows * SegmentEnvelope.Bands]);
            }

            return;
        }

        // Loudness as BS.1770 weighs it (K-weighted energy) of the input and of the decoder's output before gain.
        float[]? phase = null;
        float[] y = SpeechCodec.DecodeWindow(_model, codes, skip, count, ref phase, new VoiceWindow(pitch, new int[frames], _harmonics!));
        if (_envelopeStep > 0)
        {
            AnalyseEnvelope(x.AsSpan(skip * _hop, count * _hop).ToArray(), y, energy.AsSpan(skip, count));
        }
        double[] kin = Metrics.Loudness.KWeight(x.AsSpan(skip * _hop, count * _hop), sampleRate), kout = Metrics.Loudness.KWeight(y, sampleRate);
        for (int j = 0; j < count; j++)
        {
            double ein = 0, eout = 0;
            for (int i = j * _hop; i < (j + 1) * _hop; i++)
            {
                ein += kin[i] * kin[i];
                eout += kout[i] * kout[i];
            }

            _energyIn.Add(ein);
            _energyOut.Add(eout);
        }
    }

    /// <summary>
    /// The envelope corrections of the core frames (format 1.6, <c>design.md</c>): each frame's band energies of the input
    /// against those of the decoder's synthesised output with the voice parameters (before any correction), both on the
    /// short STFT the decoder applies them through, in steps of the chosen size; none for frames more than 40 dB below the loudest so far (what intelligibility measures ignore too).
    /// </summary>
    private void AnalyseEnvelope(float[] input, float[] output, ReadOnlySpan<double> energy)
    {
        SpeechModelConfig config = _model.Config;
        int count = energy.Length;
        double binHz = (double)config.SampleRate / SpectralEnvelope.AfterSynthesisSize, stepDb = _envelopeStep / 4.0;
        (float[] mx, int bins, int stftFrames) = SpectralEnvelope.Magnitude(input, SpectralEnvelope.AfterSynthesisSize, SpectralEnvelope.AfterSynthesisHop);
        (float[] my, _, _) = SpectralEnvelope.Magnitude(output, SpectralEnvelope.AfterSynthesisSize, SpectralEnvelope.AfterSynthesisHop);
        int rows = _envelopeRows, per = config.Hop / SpectralEnvelope.AfterSynthesisHop / rows;
        double[][] ein = SpectralEnvelope.FrameEnergies(mx, bins, stftFrames, count * rows, binHz, per);
        double[][] eout = SpectralEnvelope.FrameEnergies(my, bins, stftFrames, count * rows, binHz, per);
        for (int j = 0; j < count; j++)
        {
            var values = new sbyte[rows * SegmentEnvelope.Bands];
            if (energy[j] >= _loudest * EnvelopeGate)
            {
                for (int r = 0; r < rows; r++)
                {
                    int row = (j * rows) + r;
                    double floor = Math.Max(ein[row].Sum() * EnvelopeFloor, 1e-12);
                    SpectralEnvelope.Corrections(ein[row], eout[row], stepDb, floor).CopyTo(values, r * SegmentEnvelope.Bands);
                }
            }

            _envelope.Add(values);
        }
    }

    /// <summary>Frames this far below the loudest so far (−40 dB) get no envelope correction.</summary>
    private const double EnvelopeGate = 1e-4;

    /// <summary>Energy added to both sides of a band's ratio, relative to the frame's input energy (−40 dB).</summary>
    private const double EnvelopeFloor = 1e-4;

    /// <summary>A frame this far below the loudest so far (−20 dB) is sent as unvoiced.</summary>
    private const double VoicedEnergyShare = 0.01;

    /// <summary>The largest gain sent, in quarter dB (±12 dB).</summary>
    private const int MaxGainQuarterDb = 48;

    private void FlushSegments()
    {
        while (_nextSegment < Header.SegmentCount)
        {
            int count = Header.TokensInSegment(0, _nextSegment);
            if (_tokens[0].Count < count)
            {
                return;
            }

            if (_voice)
            {
                double ein = 0, eout = 0;
                for (int j = 0; j < count; j++)
                {
                    ein += _energyIn[j];
                    eout += _energyOut[j];
                }

                // The loudness the decoder loses over the segment, in quarter dB within ±12 dB; none for silence, and none
                // with envelope corrections, which restore the level band by band.
                int gain = _envelopeStep == 0 && ein > 1e-9 && eout > 1e-9 ? (int)Math.Clamp(Math.Round(40 * Math.Log10(ein / eout)), -MaxGainQuarterDb, MaxGainQuarterDb) : 0;
                SegmentEnvelope? envelope = null;
                if (_envelopeStep > 0)
                {
                    int rowValues = _envelopeRows * SegmentEnvelope.Bands;
                    var values = new sbyte[count * rowValues];
                    for (int j = 0; j < count; j++)
                    {
                        _envelope[j].CopyTo(values, j * rowValues);
                    }

                    envelope = values.AsSpan().ContainsAnyExcept((sbyte)0) ? new SegmentEnvelope(count, _envelopeStep, values, afterSynthesis: true, _envelopeRows) : null;
                    _envelope.RemoveRange(0, count);
                }

                _writer.WriteSegmentVoice(_nextSegment, new SegmentVoice(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pitch)[..count], gain) { Envelope = envelope });
                _pitch.RemoveRange(0, count);
                _energyIn.RemoveRange(0, count);
                _energyOut.RemoveRange(0, count);
            }

            for (int l = 0; l < _tokens.Length; l++)
            {
                _writer.WritePlane(_nextSegment, l, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_tokens[l])[..count]);
                _tokens[l].RemoveRange(0, count);
            }

            _nextSegment++;
        }

    }

    /// <summary>Closes the output. An encoder disposed before <see cref="Complete"/> leaves a file without its end chunk, which readers reject.</summary>
    public void Dispose() => _writer.Dispose();
}
