using VqCodec.Codec.Metrics;
using VqCodec.Fuzz;
using VqCodec.Tools.Reference;

namespace VqCodec.Tools.Tests;

/// <summary>The bench's Opus anchor runs in process (Concentus), reproducibly, at the rate asked.</summary>
public class ReferenceCodecTests
{
    [Fact]
    public void OpusInProcessHitsItsRateDecodesIntelligiblyAndIsReproducible()
    {
        float[] voice = TinyModels.Voice(3.0);
        var first = ReferenceSpeechCodec.Opus(voice, 8);
        var second = ReferenceSpeechCodec.Opus(voice, 8);
        Assert.Equal(first.Bytes, second.Bytes);
        Assert.Equal(first.Decoded, second.Decoded);

        double kbps = first.Bytes * 8 / 3.0 / 1000;
        Assert.InRange(kbps, 5.0, 10.0);
        Assert.True(first.Decoded.Length >= voice.Length);
        double stoi = SpeechMetrics.Stoi(voice, first.Decoded.AsSpan(0, voice.Length), 16000);
        Assert.True(stoi > 0.6, $"STOI {stoi:F3} at {kbps:F2} kbps");
        Assert.True(ReferenceSpeechCodec.Opus(voice, 12).Bytes > first.Bytes);
    }
}
