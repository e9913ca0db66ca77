using System.Buffers.Binary;

namespace VqCodec.Tools.IO;

/// <summary>
/// Writes mono 16-bit PCM WAV (samples clipped to [−1, 1] and rounded), whole or block by block: the
/// length is written into the header first, so streaming needs the total sample count up front.
/// </summary>
internal sealed class WavWriter
{
    private readonly Stream _stream;
    private readonly long _total;
    private readonly byte[] _buffer = new byte[65536];
    private long _written;

    /// <summary>Writes the header of a file of <paramref name="totalSamples"/> samples.</summary>
    public WavWriter(Stream stream, int sampleRate, long totalSamples)
    {
        long dataBytes = totalSamples * 2;
        if (dataBytes > uint.MaxValue - 36)
        {
            throw new CliException("audio too long for a WAV file");
        }

        _stream = stream;
        _total = totalSamples;
        Span<byte> h = stackalloc byte[44];
        "RIFF"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(36 + dataBytes));
        "WAVE"u8.CopyTo(h[8..]);
        "fmt "u8.CopyTo(h[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(h[20..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(h[22..], 1);
        BinaryPrimitives.WriteInt32LittleEndian(h[24..], sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(h[28..], sampleRate * 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[32..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[34..], 16);
        "data"u8.CopyTo(h[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[40..], (uint)dataBytes);
        stream.Write(h);
    }

    public static void WritePcm16(Stream stream, ReadOnlySpan<float> samples, int sampleRate)
    {
        var writer = new WavWriter(stream, sampleRate, samples.Length);
        writer.Write(samples);
        writer.Finish();
    }

    public void Write(ReadOnlySpan<float> samples)
    {
        if (_written + samples.Length > _total)
        {
            throw new InvalidOperationException("more samples than the WAV header declares");
        }

        for (int start = 0; start < samples.Length; start += _buffer.Length / 2)
        {
            int n = Math.Min(_buffer.Length / 2, samples.Length - start);
            for (int i = 0; i < n; i++)
            {
                short v = (short)Math.Round(Math.Clamp(samples[start + i], -1f, 1f) * 32767f);
                BinaryPrimitives.WriteInt16LittleEndian(_buffer.AsSpan(2 * i), v);
            }

            _stream.Write(_buffer, 0, n * 2);
        }

        _written += samples.Length;
    }

    public void Finish()
    {
        if (_written != _total)
        {
            throw new InvalidOperationException($"{_written} samples written; the WAV header declares {_total}");
        }
    }
}
