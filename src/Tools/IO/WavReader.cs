using System.Buffers.Binary;
using NAudio.Wave;

namespace VqCodec.Tools.IO;

/// <summary>
/// Streaming RIFF/WAVE reader: PCM 8 (unsigned), 16, 24 and 32-bit integer, 32 and 64-bit IEEE float,
/// plain or WAVE_FORMAT_EXTENSIBLE, any sample rate and channel count. Frames are read in blocks and
/// down-mixed to mono (channel average), so memory stays bounded whatever the file length. Every size in
/// the header is checked against the file before use. Float samples that are NaN or infinite are an
/// error; finite float samples outside [−1, 1] are clipped (documented behaviour).
/// The header is parsed here, because NAudio.Core 3.3's <c>WaveFileReader</c> reads a cut file without
/// complaint (shorter), passes NaN samples through and needs a seekable stream (measured; spec/design.md);
/// the samples are converted to float by NAudio (<c>RawSourceWaveStream</c> over the validated data chunk,
/// <c>ToSampleProvider</c>).
/// </summary>
internal sealed class WavReader : IDisposable
{
    private const int MaxChannels = 64;
    private readonly Stream _stream;
    private readonly string _name;
    private readonly ISampleProvider _samples;
    private float[] _interleaved = [];
    private long _framesLeft;

    public WavReader(Stream stream, string name)
    {
        _stream = stream;
        _name = name;
        ParseHeader();

        // The stream now stands at the first byte of the validated data chunk.
        WaveFormat format = WaveFormat.CreateCustomFormat(IsFloat ? WaveFormatEncoding.IeeeFloat : WaveFormatEncoding.Pcm, SampleRate, Channels, SampleRate * BlockAlign, BlockAlign, BitsPerSample);
        _samples = new RawSourceWaveStream(_stream, format).ToSampleProvider();
    }

    public int SampleRate { get; private set; }

    public int Channels { get; private set; }

    public int BitsPerSample { get; private set; }

    public bool IsFloat { get; private set; }

    public long FrameCount { get; private set; }

    public int BlockAlign => Channels * (BitsPerSample / 8);

    private CliException Bad(string why) => new($"{_name}: {why}", ExitCodes.InvalidData);

    private void ReadExactly(Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = _stream.Read(buffer[total..]);
            if (n == 0)
            {
                throw Bad("truncated WAV file");
            }

            total += n;
        }
    }

    private void Skip(long count)
    {
        if (_stream.CanSeek)
        {
            if (_stream.Position + count > _stream.Length)
            {
                throw Bad("truncated WAV file (a chunk runs past the end)");
            }

            _stream.Seek(count, SeekOrigin.Current);
            return;
        }

        var buffer = new byte[4096];
        while (count > 0)
        {
            int n = (int)Math.Min(buffer.Length, count);
            ReadExactly(buffer.AsSpan(0, n));
            count -= n;
        }
    }

    private void ParseHeader()
    {
        Span<byte> riff = stackalloc byte[12];
        try
        {
            ReadExactly(riff);
        }
        catch (CliException)
        {
            throw Bad("not a WAV file (too short)");
        }

        if (!riff[..4].SequenceEqual("RIFF"u8) || !riff[8..12].SequenceEqual("WAVE"u8))
        {
            throw Bad(riff[..4].SequenceEqual("RF64"u8) ? "RF64 WAV files are not supported" : "not a WAV file (no RIFF/WAVE header)");
        }

        bool haveFormat = false;
        Span<byte> head = stackalloc byte[8];
        while (true)
        {
            ReadExactly(head);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
            if (_stream.CanSeek && size > _stream.Length - _stream.Position + 1)
            {
                if (!head[..4].SequenceEqual("data"u8))
                {
                    throw Bad($"chunk '{System.Text.Encoding.ASCII.GetString(head[..4])}' claims {size} bytes, more than the file holds");
                }
            }

            if (head[..4].SequenceEqual("fmt "u8))
            {
                if (size < 16 || size > 1024)
                {
                    throw Bad($"format chunk of {size} bytes");
                }

                var fmt = new byte[size];
                ReadExactly(fmt);
                if ((size & 1) == 1)
                {
                    Skip(1);
                }

                ParseFormat(fmt);
                haveFormat = true;
            }
            else if (head[..4].SequenceEqual("data"u8))
            {
                if (!haveFormat)
                {
                    throw Bad("data chunk before the format chunk");
                }

                long bytes = size;
                if (_stream.CanSeek)
                {
                    // Streaming writers leave 0 or 0xFFFFFFFF here; trust the file length then. Any other
                    // size larger than the rest of the file means the file was cut short.
                    long available = _stream.Length - _stream.Position;
                    if (bytes == 0 || bytes == uint.MaxValue)
                    {
                        bytes = available;
                    }
                    else if (bytes > available)
                    {
                        throw Bad($"truncated WAV file: the data chunk declares {bytes} bytes but {available} follow");
                    }
                }

                FrameCount = bytes / BlockAlign;
                _framesLeft = FrameCount;
                if (FrameCount == 0)
                {
                    throw Bad("the WAV file holds no audio (zero-length data)");
                }

                return;
            }
            else
            {
                Skip(size + (size & 1));
            }
        }
    }

    private void ParseFormat(byte[] fmt)
    {
        int tag = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
        Channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(2));
        SampleRate = BinaryPrimitives.ReadInt32LittleEndian(fmt.AsSpan(4));
        int blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(12));
        BitsPerSample = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(14));
        if (tag == 0xFFFE && fmt.Length >= 40)
        {
            tag = BinaryPrimitives.ReadUInt16LittleEndian(fmt.AsSpan(24)); // sub-format GUID's first two bytes
        }

        IsFloat = tag == 3;
        if (tag is not (1 or 3))
        {
            throw Bad($"unsupported WAV encoding (format tag {tag}); supported: PCM 8/16/24/32-bit integer and 32/64-bit float");
        }

        if (Channels is < 1 or > MaxChannels || SampleRate is < 1000 or > 768000)
        {
            throw Bad($"unsupported WAV layout ({Channels} channels at {SampleRate} Hz)");
        }

        bool ok = IsFloat ? BitsPerSample is 32 or 64 : BitsPerSample is 8 or 16 or 24 or 32;
        if (!ok || blockAlign != Channels * (BitsPerSample / 8))
        {
            throw Bad($"unsupported WAV sample format ({BitsPerSample}-bit {(IsFloat ? "float" : "integer")}, block align {blockAlign})");
        }
    }

    /// <summary>Reads up to output.Length mono frames; returns how many were read (0 at the end).</summary>
    public int Read(Span<float> output)
    {
        int frames = (int)Math.Min(output.Length, _framesLeft);
        if (frames == 0)
        {
            return 0;
        }

        int need = frames * Channels;
        if (_interleaved.Length < need)
        {
            _interleaved = new float[need];
        }

        for (int got = 0; got < need;)
        {
            int n = _samples.Read(_interleaved.AsSpan(got, need - got));
            if (n == 0)
            {
                throw Bad("truncated WAV file");
            }

            got += n;
        }

        for (int f = 0; f < frames; f++)
        {
            double sum = 0;
            for (int c = 0; c < Channels; c++)
            {
                float v = _interleaved[(f * Channels) + c];
                if (!float.IsFinite(v))
                {
                    throw Bad($"sample {FrameCount - _framesLeft + f} is NaN or infinite");
                }

                sum += Math.Clamp(v, -1f, 1f);
            }

            output[f] = (float)(sum / Channels);
        }

        _framesLeft -= frames;
        return frames;
    }

    /// <summary>Reads every frame (down-mixed). Refuses more than <paramref name="maxFrames"/>.</summary>
    public float[] ReadAll(long maxFrames = 1L << 28)
    {
        if (FrameCount > maxFrames)
        {
            throw Bad($"{FrameCount} frames is above the in-memory limit of {maxFrames}");
        }

        var all = new float[FrameCount];
        int done = 0, n;
        while ((n = Read(all.AsSpan(done, (int)Math.Min(65536, all.Length - done)))) > 0)
        {
            done += n;
        }

        return all;
    }

    public void Dispose() => _stream.Dispose();

    public static (float[] Samples, int SampleRate, int Channels, int Bits) ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"{path}: no such file", ExitCodes.IoError);
        }

        using var reader = new WavReader(new BufferedStream(File.OpenRead(path), 1 << 16), path);
        return (reader.ReadAll(), reader.SampleRate, reader.Channels, reader.BitsPerSample);
    }

    /// <summary>Reads a WAV file down-mixed to mono and resampled (band-limited) to <paramref name="targetRate"/>.</summary>
    public static float[] ReadMono(string path, int targetRate)
    {
        (float[] samples, int rate, _, _) = ReadFile(path);
        return rate == targetRate ? samples : VqCodec.Codec.Audio.Resampler.Resample(samples, rate, targetRate);
    }
}
