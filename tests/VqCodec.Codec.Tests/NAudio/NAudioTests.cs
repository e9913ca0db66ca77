using NAudio.Wave;
using VqCodec.Codec.Speech;
using VqCodec.NAudio;

namespace VqCodec.Codec.Tests;

/// <summary>The NAudio adapters: encode from any ISampleProvider, read .vqc as a seekable WaveStream / ISampleProvider.</summary>
public class NAudioTests
{
    private static readonly SpeechModel Model = TinyModels.LoadSpeech();

    private static ISampleProvider Stereo44k(float[] mono)
    {
        var bytes = new byte[mono.Length * 2 * 4];
        for (int i = 0; i < mono.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(8 * i), mono[i]);
            BitConverter.TryWriteBytes(bytes.AsSpan((8 * i) + 4), mono[i]);
        }

        return new RawSourceWaveStream(new MemoryStream(bytes), WaveFormat.CreateIeeeFloatWaveFormat(44100, 2)).ToSampleProvider();
    }

    [Fact]
    public void AnNAudioSourceRoundTripsThroughVqcAndSeeks()
    {
        float[] voice = VqCodec.Codec.Audio.Resampler.Resample(TinyModels.Voice(4.0), 16000, 44100);
        var file = new MemoryStream();
        SpeechEncodeResult r = VqcSpeechWriter.Encode(Stereo44k(voice), Model, file);
        Assert.True(r.Bytes > 0);

        file.Position = 0;
        using var reader = new VqcSpeechReader(Model, file, leaveOpen: true);
        Assert.Equal(16000, reader.WaveFormat.SampleRate);
        Assert.Equal(WaveFormatEncoding.IeeeFloat, reader.WaveFormat.Encoding);
        long samples = reader.Length / 4;
        Assert.InRange(samples, 63990, 64010);
        var all = new float[samples];
        int got = 0, n;
        ISampleProvider provider = reader;
        while ((n = provider.Read(all.AsSpan(got))) > 0)
        {
            got += n;
        }

        Assert.Equal(samples, got);
        Assert.Equal(reader.Length, reader.Position);

        // Seek into the third second (through the seek table) and read on: the samples are the stream's own.
        reader.Position = 2 * 16000 * 4 + 400;
        Assert.Equal(2 * 16000 * 4 + 400, reader.Position);
        var tail = new byte[4000];
        Assert.Equal(4000, reader.Read(tail, 0, tail.Length));
        float[] seeked = new float[1000];
        Buffer.BlockCopy(tail, 0, seeked, 0, 4000);
        Assert.All(seeked, v => Assert.True(float.IsFinite(v)));

        reader.Position = 0;
        var again = new float[100];
        Assert.Equal(100, provider.Read(again));
        Assert.Equal(all[..100], again);
    }
}
