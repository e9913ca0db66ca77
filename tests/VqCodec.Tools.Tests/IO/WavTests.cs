using System.Buffers.Binary;
using NAudio.Wave;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Tests;

public class WavTests
{
    private static byte[] Wav(int tag, int channels, int rate, int bits, byte[] data, bool extensible = false, uint? dataSize = null)
    {
        var ms = new MemoryStream();
        int fmtSize = extensible ? 40 : 16;
        var w = new BinaryWriter(ms);
        w.Write("RIFF"u8);
        w.Write(4 + 8 + fmtSize + 8 + data.Length);
        w.Write("WAVE"u8);
        w.Write("LIST"u8);
        w.Write(4);
        w.Write("INFO"u8);
        w.Write("fmt "u8);
        w.Write(fmtSize);
        w.Write((ushort)(extensible ? 0xFFFE : tag));
        w.Write((ushort)channels);
        w.Write(rate);
        w.Write(rate * channels * bits / 8);
        w.Write((ushort)(channels * bits / 8));
        w.Write((ushort)bits);
        if (extensible)
        {
            w.Write((ushort)22);
            w.Write((ushort)bits);
            w.Write(0);
            w.Write((ushort)tag);
            w.Write(new byte[14]);
        }

        w.Write("data"u8);
        w.Write(dataSize ?? (uint)data.Length);
        w.Write(data);
        return ms.ToArray();
    }

    private static float[] Read(byte[] file, out WavReader reader)
    {
        reader = new WavReader(new MemoryStream(file), "test.wav");
        return reader.ReadAll();
    }

    [Fact]
    public void ReadsEverySupportedEncoding()
    {
        // One frame at half scale in each encoding.
        Assert.Equal(0.5f, Read(Wav(1, 1, 16000, 8, [192]), out _)[0], 3);
        Assert.Equal(0.5f, Read(Wav(1, 1, 16000, 16, [0x00, 0x40]), out _)[0], 4);
        Assert.Equal(0.5f, Read(Wav(1, 1, 16000, 24, [0, 0, 0x40]), out _)[0], 5);
        Assert.Equal(-0.5f, Read(Wav(1, 1, 16000, 24, [0, 0, 0xC0]), out _)[0], 5);
        Assert.Equal(0.5f, Read(Wav(1, 1, 16000, 32, [0, 0, 0, 0x40]), out _)[0], 5);
        Assert.Equal(0.5f, Read(Wav(3, 1, 16000, 32, BitConverter.GetBytes(0.5f)), out _)[0], 6);
        Assert.Equal(0.5f, Read(Wav(3, 1, 16000, 64, BitConverter.GetBytes(0.5)), out _)[0], 6);
        Assert.Equal(0.5f, Read(Wav(1, 1, 16000, 16, [0x00, 0x40], extensible: true), out _)[0], 4);
    }

    [Fact]
    public void DownmixesChannelsAndReportsTheLayout()
    {
        byte[] stereo = [0x00, 0x40, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x40];
        float[] x = Read(Wav(1, 2, 44100, 16, stereo), out WavReader r);
        Assert.Equal([0.25f, 0f], x);
        Assert.Equal((44100, 2, 16), (r.SampleRate, r.Channels, r.BitsPerSample));
    }

    [Fact]
    public void ClipsFloatOverloadAndRejectsNaN()
    {
        Assert.Equal(1f, Read(Wav(3, 1, 16000, 32, BitConverter.GetBytes(3.5f)), out _)[0]);
        var ex = Assert.Throws<VqCodec.Tools.CliException>(() => Read(Wav(3, 1, 16000, 32, BitConverter.GetBytes(float.NaN)), out _));
        Assert.Contains("NaN", ex.Message);
        Assert.Throws<VqCodec.Tools.CliException>(() => Read(Wav(3, 1, 16000, 32, BitConverter.GetBytes(float.PositiveInfinity)), out _));
    }

    [Fact]
    public void BadFilesGetClearErrors()
    {
        string Message(byte[] f) => Assert.Throws<VqCodec.Tools.CliException>(() => Read(f, out _)).Message;
        Assert.Contains("not a WAV", Message([]));
        Assert.Contains("not a WAV", Message("hello world, not audio"u8.ToArray()));
        Assert.Contains("no audio", Message(Wav(1, 1, 16000, 16, [])));
        Assert.Contains("format tag 85", Message(Wav(85, 1, 16000, 16, [0, 0])));
        Assert.Contains("unsupported", Message(Wav(1, 1, 16000, 12, [0, 0])));
        Assert.Contains("unsupported", Message(Wav(1, 0, 16000, 16, [0, 0])));
        byte[] good = Wav(1, 1, 16000, 16, new byte[100]);
        Assert.Contains("truncated", Message(good[..30]));
    }

    [Fact]
    public void AbsurdOrStreamingDataSizesAreCheckedAgainstTheFile()
    {
        // A size past the end is a truncated file (an error before any allocation) ...
        Assert.Contains("truncated", Assert.Throws<VqCodec.Tools.CliException>(() => Read(Wav(1, 1, 16000, 16, new byte[20], dataSize: 0x7FFFFFF0), out _)).Message);

        // ... while the placeholders streaming writers leave (0, 0xFFFFFFFF) mean "to the end of the file".
        foreach (uint placeholder in new[] { 0u, uint.MaxValue })
        {
            float[] x = Read(Wav(1, 1, 16000, 16, new byte[20], dataSize: placeholder), out WavReader r);
            Assert.Equal((10L, 10), (r.FrameCount, x.Length));
        }
    }

    /// <summary>
    /// Why the header is parsed here and only the sample conversion goes through NAudio (spec/design.md): NAudio.Core's
    /// own WaveFileReader reads a cut file as a shorter one and passes NaN through. If a later NAudio catches these,
    /// this test fails and the reader can hand the header to NAudio too.
    /// </summary>
    [Fact]
    public void NAudiosOwnFileReaderMissesWhatThisReaderCatches()
    {
        static byte[] Written(WaveFormat format, byte[] data)
        {
            var ms = new MemoryStream();
            using (var writer = new WaveFileWriter(ms, format))
            {
                writer.Write(data, 0, data.Length);
            }

            return ms.ToArray();
        }

        byte[] good = Written(new WaveFormat(16000, 16, 1), new byte[200]);
        byte[] cut = good[..(good.Length - 100)];
        using (var naudio = new WaveFileReader(new MemoryStream(cut)))
        {
            var buffer = new float[200];
            Assert.Equal(50, naudio.ToSampleProvider().Read(buffer)); // 50 of the 100 declared samples, no error
        }

        Assert.Contains("truncated", Assert.Throws<VqCodec.Tools.CliException>(() => Read(cut, out _)).Message);

        byte[] nan = Written(WaveFormat.CreateIeeeFloatWaveFormat(16000, 1), BitConverter.GetBytes(float.NaN));
        using (var naudio = new WaveFileReader(new MemoryStream(nan)))
        {
            var buffer = new float[4];
            Assert.Equal(1, naudio.ToSampleProvider().Read(buffer));
            Assert.True(float.IsNaN(buffer[0]));
        }

        Assert.Throws<VqCodec.Tools.CliException>(() => Read(nan, out _));
    }

    [Fact]
    public void WriterRoundTrips()
    {
        float[] x = [0f, 0.5f, -0.5f, 1f, -1f, 2f];
        var ms = new MemoryStream();
        WavWriter.WritePcm16(ms, x, 16000);
        float[] back = Read(ms.ToArray(), out WavReader r);
        Assert.Equal(16000, r.SampleRate);
        Assert.Equal(x.Select(v => Math.Clamp(v, -1f, 1f)), back.Select(v => (float)Math.Round(v, 3)), new ToleranceComparer(1e-3f));
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
