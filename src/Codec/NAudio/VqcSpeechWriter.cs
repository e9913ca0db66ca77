using NAudio.Wave;
using VqCodec.Codec.Speech;

namespace VqCodec.NAudio;

/// <summary>Encodes any NAudio <see cref="ISampleProvider"/> (any rate; channels are averaged to mono) as .vqc speech.</summary>
public static class VqcSpeechWriter
{
    /// <summary>
    /// Reads <paramref name="source"/> to its end and writes it to <paramref name="output"/> (not closed). The whole
    /// signal is read first: the header records the length, which a sample provider does not know in advance.
    /// </summary>
    /// <exception cref="ArgumentException">The source is empty or its format is not supported.</exception>
    public static SpeechEncodeResult Encode(ISampleProvider source, SpeechModel model, Stream output, SpeechEncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(model);
        int channels = source.WaveFormat.Channels;
        var mono = new List<float>();
        var block = new float[4096 * channels];
        int n;
        while ((n = source.Read(block)) > 0)
        {
            for (int i = 0; i + channels <= n; i += channels)
            {
                float sum = 0;
                for (int c = 0; c < channels; c++)
                {
                    sum += block[i + c];
                }

                mono.Add(sum / channels);
            }
        }

        if (mono.Count == 0)
        {
            throw new ArgumentException("the sample provider gave no samples", nameof(source));
        }

        return SpeechCodec.Encode(model, [.. mono], source.WaveFormat.SampleRate, output, options);
    }
}
