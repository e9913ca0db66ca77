using System.Buffers;
using VqCodec.Codec.Audio;
using VqCodec.Container;

namespace VqCodec.Codec.Speech;

/// <summary>
/// Streaming speech decoder with bounded memory, in two forms. Pull: construct it over a stream and call
/// <see cref="Read"/> until it returns 0; <see cref="SeekToSegment"/> jumps through the seek table. Push:
/// construct it without a stream and hand it container bytes as they arrive with <see cref="Push"/>; it
/// returns PCM as soon as the segments it needs are complete, and <see cref="Finish"/> checks the end.
/// Output is mono at the model rate, or at the source rate when asked. Not thread-safe.
/// </summary>
public sealed class SpeechDecoder : IDisposable
{
    private readonly SpeechModel _model;
    private readonly SpeechDecodeOptions _options;
    private readonly VqcReader? _reader;              // pull mode
    private readonly VqcIncrementalReader? _incremental;  // push mode
    private readonly List<float> _out = [];
    private readonly List<float> _scratch = [];
    private VqcHeader? _header;
    private List<int>[] _tokens = [];
    private readonly List<byte> _pitch = [];   // voice parameters per frame, aligned with _tokens (format 1.4)
    private readonly List<int> _gains = [];
    private readonly List<double[]?> _envelope = [];   // envelope corrections per frame in dB per band, null for none (format 1.5: before the synthesis)
    private readonly List<double[]?> _envelopeAfter = [];   // the same, format 1.6: after the synthesis
    private bool _voiced;                      // some segment so far carried voice parameters
    private HarmonicSynthesizer? _harmonics;
    private Resampler? _resampler;
    private int _frames;
    private long _modelSamples;
    private int _tokenStart;      // frame of _tokens[*][0]
    private int _nextFrame;       // next frame to synthesise
    private float[]? _phase;      // running STFT phase at _nextFrame (phase-continuous models)
    private int _outRead;
    private long _produced;       // output samples handed out or queued
    private bool _ended;

    /// <summary>Pull decoder over <paramref name="input"/>; reads and checks the header now.</summary>
    /// <exception cref="VqcFormatException">Bad bytes.</exception>
    /// <exception cref="ModelMismatchException">The file was made by another model.</exception>
    public SpeechDecoder(SpeechModel model, Stream input, SpeechDecodeOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        _model = model;
        _options = options ?? new SpeechDecodeOptions();
        _reader = new VqcReader(input, model.FindPriors, leaveOpen);
        Start(_reader.ReadHeader());
    }

    /// <summary>Push decoder: feed it container bytes with <see cref="Push"/>.</summary>
    public SpeechDecoder(SpeechModel model, SpeechDecodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _options = options ?? new SpeechDecodeOptions();
        _incremental = new VqcIncrementalReader(model.FindPriors);
    }

    /// <summary>The file header (null in push mode until its bytes have arrived).</summary>
    public VqcHeader? Header => _header;

    /// <summary>Output sample rate (model rate, or the source rate when decoding at the original rate).</summary>
    public int OutputSampleRate => _options.OriginalRate && _header is not null ? _header.SampleRate : _model.Config.SampleRate;

    /// <summary>Total output samples of the whole file.</summary>
    public long OutputLength => _header is null ? 0 : _options.OriginalRate ? _header.SampleCount : _modelSamples;

    /// <summary>Pull mode: decodes into <paramref name="buffer"/>; returns the samples written, 0 at the end.</summary>
    public int Read(Span<float> buffer)
    {
        VqcReader reader = _reader ?? throw new InvalidOperationException("a push decoder has no input stream; use Push");
        while (_out.Count - _outRead < buffer.Length && !_ended)
        {
            Take(reader.GetNextPlane());
        }

        int n = Math.Min(buffer.Length, _out.Count - _outRead);
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_out).Slice(_outRead, n).CopyTo(buffer);
        _outRead += n;
        if (_outRead > 1 << 16)
        {
            _out.RemoveRange(0, _outRead);
            _outRead = 0;
        }

        return n;
    }

    /// <summary>Push mode: adds container bytes and appends the PCM that became final to <paramref name="output"/>.</summary>
    /// <exception cref="VqcFormatException">Bad bytes.</exception>
    /// <exception cref="ModelMismatchException">The file was made by another model.</exception>
    public void Push(ReadOnlySpan<byte> data, List<float> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        VqcIncrementalReader incremental = _incremental ?? throw new InvalidOperationException("a pull decoder reads its own stream; use Read");
        incremental.Append(data);
        if (_header is null && incremental.Header is { } header)
        {
            Start(header);
        }

        while (!_ended && incremental.TryReadPlane(out VqcTokenPlane? plane) == OperationStatus.Done)
        {
            Take(plane);
        }

        Drain(output);
    }

    /// <summary>Push mode: checks that the whole file arrived and appends the last PCM.</summary>
    /// <exception cref="VqcFormatException">The stream ended before its end chunk.</exception>
    public void Finish(List<float> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        (_incremental ?? throw new InvalidOperationException("a pull decoder reads its own stream; use Read")).Complete();
        Drain(output);
    }

    /// <summary>
    /// Pull mode on a seekable stream: continues decoding at the first sample of <paramref name="segment"/>
    /// (segment s starts at frame s·S; <see cref="PositionSamples"/> says where that is in the output).
    /// The first frames after a seek are synthesised without the context before the segment.
    /// </summary>
    public void SeekToSegment(int segment)
    {
        if (_reader is null || _header is null)
        {
            throw new NotSupportedException("seeking needs a pull decoder over a seekable stream");
        }

        _reader.SeekToSegment(segment);
        _tokenStart = _nextFrame = segment * _header.SegmentLength;
        _phase = null;
        foreach (List<int> t in _tokens)
        {
            t.Clear();
        }

        _pitch.Clear();
        _gains.Clear();
        _envelope.Clear();
        _envelopeAfter.Clear();
        _harmonics?.Reset();

        _out.Clear();
        _outRead = 0;
        _ended = false;
        long modelPos = (long)_nextFrame * _model.Config.Hop;
        _produced = _resampler is null ? modelPos : Resampler.OutputLength(modelPos, _model.Config.SampleRate, _header.SampleRate);
        PositionSamples = _produced;
        _resampler = _resampler is null ? null : new Resampler(_model.Config.SampleRate, _header.SampleRate);
    }

    /// <summary>Output sample index of the next sample <see cref="Read"/> returns after a seek (0 before any seek).</summary>
    public long PositionSamples { get; private set; }

    private void Start(VqcHeader header)
    {
        if (header.Kind != MediaKind.Speech)
        {
            throw new VqcFormatException("the file holds an image, not speech", VqcHeader.FileOffset);
        }

        _model.EnsureMatches(header);
        if (header.Levels.Length > _model.Config.Levels || header.Levels.Any(l => l.CodebookSize != _model.Config.CodebookSize))
        {
            throw new VqcFormatException("the file's token layout does not fit the model", 16);
        }

        int hop = _model.Config.Hop;
        _frames = header.Levels[0].GridWidth;
        _modelSamples = Resampler.OutputLength(header.SampleCount, header.SampleRate, _model.Config.SampleRate);
        if (_modelSamples > (long)_frames * hop || _modelSamples <= (long)(_frames - 1) * hop)
        {
            throw new VqcFormatException($"the header's {header.SampleCount} samples at {header.SampleRate} Hz do not match its {_frames} frames", 16);
        }

        _header = header;
        _tokens = header.Levels.Select(_ => new List<int>()).ToArray();
        _resampler = _options.OriginalRate && header.SampleRate != _model.Config.SampleRate ? new Resampler(_model.Config.SampleRate, header.SampleRate) : null;
    }

    /// <summary>The decoding core both front ends feed: the next plane, or null at the end of the file.</summary>
    private void Take(VqcTokenPlane? plane)
    {
        if (plane is null)
        {
            End();
        }
        else
        {
            Add(plane);
        }
    }

    private void Add(VqcTokenPlane plane)
    {
        _tokens[plane.Level].AddRange(plane.Tokens);
        if (plane.Level == 0)
        {
            if (plane.Voice is { } voice)
            {
                _voiced = true;
                _harmonics ??= new HarmonicSynthesizer(_model.Config);
                _pitch.AddRange(voice.Pitch);
                _gains.AddRange(Enumerable.Repeat(voice.GainQuarterDb, plane.Tokens.Length));
                bool after = voice.Envelope?.AfterSynthesis == true;
                for (int f = 0; f < plane.Tokens.Length; f++)
                {
                    double[]? decibels = SpectralEnvelope.Decibels(voice.Envelope, f);
                    _envelope.Add(after ? null : decibels);
                    _envelopeAfter.Add(after ? decibels : null);
                }
            }
            else
            {
                _pitch.AddRange(new byte[plane.Tokens.Length]);
                _gains.AddRange(new int[plane.Tokens.Length]);
                _envelope.AddRange(new double[]?[plane.Tokens.Length]);
                _envelopeAfter.AddRange(new double[]?[plane.Tokens.Length]);
            }
        }

        if (plane.Level == _tokens.Length - 1)
        {
            Synthesise(final: false);
        }
    }

    private void End()
    {
        _ended = true;
        Synthesise(final: true);
        if (_resampler is not null)
        {
            _scratch.Clear();
            _resampler.Flush(_scratch);
            Emit(_scratch);
        }
    }

    private void Synthesise(bool final)
    {
        int hop = _model.Config.Hop, margin = _model.Config.ContextFrames, window = _options.WindowFrames;
        int available = _tokenStart + _tokens[0].Count;
        while (_nextFrame < _frames)
        {
            int coreEnd = Math.Min(_frames, _nextFrame + window);
            int hi = Math.Min(_frames, coreEnd + margin);
            if (!final && available < hi)
            {
                return;
            }

            hi = Math.Min(hi, available);
            coreEnd = Math.Min(coreEnd, hi);
            if (coreEnd <= _nextFrame)
            {
                return;
            }

            int lo = Math.Max(_tokenStart, _nextFrame - margin);
            int[][] codes = _tokens.Select(t => t.GetRange(lo - _tokenStart, hi - lo).ToArray()).ToArray();
            VoiceWindow? voice = _voiced ? new VoiceWindow(_pitch.GetRange(lo - _tokenStart, hi - lo).ToArray(), _gains.GetRange(lo - _tokenStart, hi - lo).ToArray(), _harmonics!, _envelope.GetRange(lo - _tokenStart, hi - lo).ToArray(), _envelopeAfter.GetRange(lo - _tokenStart, hi - lo).ToArray()) : null;
            float[] y = SpeechCodec.DecodeWindow(_model, codes, _nextFrame - lo, coreEnd - _nextFrame, ref _phase, voice);
            long start = (long)_nextFrame * hop;
            int keep = (int)Math.Clamp(_modelSamples - start, 0, y.Length);
            _scratch.Clear();
            if (_resampler is null)
            {
                _scratch.AddRange(y.AsSpan(0, keep));
            }
            else
            {
                _resampler.Push(y.AsSpan(0, keep), _scratch);
            }

            Emit(_scratch);
            _nextFrame = coreEnd;
            int drop = Math.Max(0, _nextFrame - margin - _tokenStart);
            foreach (List<int> t in _tokens)
            {
                t.RemoveRange(0, drop);
            }

            _pitch.RemoveRange(0, drop);
            _gains.RemoveRange(0, drop);
            _envelope.RemoveRange(0, drop);
            _envelopeAfter.RemoveRange(0, drop);
            _tokenStart += drop;
        }
    }

    private void Emit(List<float> samples)
    {
        long room = OutputLength - _produced;
        int n = (int)Math.Clamp(room, 0, samples.Count);
        _out.AddRange(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(samples)[..n]);
        _produced += n;
    }

    private void Drain(List<float> output)
    {
        output.AddRange(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_out)[_outRead..]);
        _out.Clear();
        _outRead = 0;
    }

    /// <summary>Releases the input stream (unless leaveOpen).</summary>
    public void Dispose()
    {
        _reader?.Dispose();
        _incremental?.Dispose();
    }
}
