using NAudio.Wave;
using VqCodec.Codec.Speech;

namespace VqCodec.NAudio;

/// <summary>
/// A .vqc speech file as NAudio audio: a seekable <see cref="WaveStream"/> of 32-bit float mono samples at the
/// model's rate (16 kHz), and an <see cref="ISampleProvider"/>. Decoding streams segment by segment; setting
/// <see cref="Position"/> jumps through the file's seek table to the segment that holds it.
/// </summary>
public sealed class VqcSpeechReader : WaveStream, ISampleProvider
{
    private readonly SpeechModel _model;
    private readonly Stream _input;
    private readonly bool _leaveOpen;
    private SpeechDecoder _decoder;
    private long _position;

    /// <summary>Opens <paramref name="input"/> (seekable for <see cref="Position"/> changes) with <paramref name="model"/>.</summary>
    /// <exception cref="VqCodec.Container.VqcFormatException">The file is not valid .vqc speech.</exception>
    /// <exception cref="VqCodec.Container.ModelMismatchException">The file was made by another model.</exception>
    public VqcSpeechReader(SpeechModel model, Stream input, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        _model = model;
        _input = input;
        _leaveOpen = leaveOpen;
        _decoder = new SpeechDecoder(model, input, leaveOpen: true);
        WaveFormat = WaveFormat.CreateIeeeFloatWaveFormat(model.Config.SampleRate, 1);
    }

    /// <inheritdoc/>
    public override WaveFormat WaveFormat { get; }

    /// <summary>Length in bytes (4 per sample).</summary>
    public override long Length => _decoder.OutputLength * 4;

    /// <summary>Position in bytes; setting it seeks (rounded down to a whole sample).</summary>
    public override long Position
    {
        get => _position * 4;
        set => SeekToSample(Math.Clamp(value / 4, 0, _decoder.OutputLength));
    }

    /// <inheritdoc/>
    public int Read(Span<float> buffer)
    {
        int n = _decoder.Read(buffer);
        _position += n;
        return n;
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        var samples = new float[count / 4];
        int n = Read(samples);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(samples.AsSpan(0, n)).CopyTo(buffer.AsSpan(offset));
        return n * 4;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _decoder.Dispose();
            if (!_leaveOpen)
            {
                _input.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private void SeekToSample(long sample)
    {
        if (sample == _position)
        {
            return;
        }

        int hop = _model.Config.Hop, segmentFrames = _decoder.Header!.SegmentLength;
        int segment = (int)Math.Min(sample / hop / segmentFrames, _decoder.Header.SegmentCount - 1);
        if (segment == 0 && sample < _position)
        {
            // Back to the start: a fresh decoder (the first segment has no seek-table entry to jump to before it).
            _decoder.Dispose();
            _input.Position = 0;
            _decoder = new SpeechDecoder(_model, _input, leaveOpen: true);
            _position = 0;
        }
        else if (segment > 0 || sample < _position)
        {
            _decoder.SeekToSegment(segment);
            _position = _decoder.PositionSamples;
        }

        var skip = new float[4096];
        while (_position < sample)
        {
            int n = Read(skip.AsSpan(0, (int)Math.Min(skip.Length, sample - _position)));
            if (n == 0)
            {
                break;
            }
        }
    }
}
