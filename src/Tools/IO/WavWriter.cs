using System.Buffers.Binary;

namespace VqCodec.Tools.IO;

/// <summary>Writes mono 16-bit PCM WAV (samples clipped to [−1, 1] and rounded).</summary>
internal static class WavWriter
{
    public static void WritePcm16(Stream stream, ReadOnlySpan<float> samples, int sampleRate)
    {
        long dataBytes = (long)samples.Length * 2;
        if (dataBytes > uint.MaxValue - 36)
        {
            throw new CliException("audio too long for a WAV file");
        }

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
        var buffer = new byte[Math.Min(samples.Length, 32768) * 2];
        for (int start = 0; start < samples.Length; start += buffer.Length / 2)
        {
            int n = Math.Min(buffer.Length / 2, samples.Length - start);
            for (int i = 0; i < n; i++)
            {
                short v = (short)Math.Round(Math.Clamp(samples[start + i], -1f, 1f) * 32767f);
                BinaryPrimitives.WriteInt16LittleEndian(buffer.AsSpan(2 * i), v);
            }

            stream.Write(buffer, 0, n * 2);
        }
    }
}
