using VqCodec.Codec.Metrics;

namespace VqCodec.Codec.Tests;

/// <summary>Pitch, voicing, loudness and log-spectral metrics against known values.</summary>
public class PitchLoudnessMetricsTests
{
    private const int Rate = 16000;

    /// <summary>A harmonic tone (10 harmonics, amplitude 1/k) whose F0 follows <paramref name="f0"/> (Hz at time t).</summary>
    private static float[] Harmonic(Func<double, double> f0, double seconds, double amplitude = 0.3, int rate = Rate)
    {
        var x = new float[(int)(seconds * rate)];
        double phase = 0;
        for (int i = 0; i < x.Length; i++)
        {
            phase += 2 * Math.PI * f0(i / (double)rate) / rate;
            double v = 0;
            for (int k = 1; k <= 10; k++)
            {
                if (k * f0(i / (double)rate) < rate / 2.0)
                {
                    v += Math.Sin(k * phase) / k;
                }
            }

            x[i] = (float)(amplitude * v / 2);
        }

        return x;
    }

    private static float[] Noise(int n, double amplitude, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(amplitude * ((rng.NextDouble() * 2) - 1))).ToArray();
    }

    [Theory]
    [InlineData(85.0)]
    [InlineData(120.0)]
    [InlineData(220.0)]
    [InlineData(400.0)]
    public void TracksTheF0OfAHarmonicToneWithinFiveCents(double f0)
    {
        double[] track = PitchTracker.Track(Harmonic(_ => f0, 1.0), Rate);
        Assert.True(track.Length > 90);
        // The first frame holds the tone's abrupt onset, which the tracker's 80 Hz high-pass rings on.
        Assert.InRange(Math.Abs(1200 * Math.Log2(track[0] / f0)), 0, 10);
        Assert.All(track[1..], f => Assert.InRange(Math.Abs(1200 * Math.Log2(f / f0)), 0, 5));
    }

    [Theory]
    [InlineData(691)]
    [InlineData(851)]
    [InlineData(690)]
    [InlineData(16000)]
    public void EveryLengthIsTrackedWithoutReadingPastTheEnd(int length)
    {
        // 691 = window 400 + longest lag 291 (+ hop multiples): the last frame used to read one sample past the end.
        float[] x = Harmonic(_ => 150, length / (double)Rate);
        double[] track = PitchTracker.Track(x, Rate);
        Assert.Equal(length, x.Length);
        Assert.Equal(length < 692 ? 0 : ((length - 692) / 160) + 1, track.Length);
    }

    [Fact]
    public void TracksAVoiceUnderStrongerMainsHum()
    {
        // A 155 Hz voice (fundamental 0.025) over a 60 Hz hum of 0.03: the 80 Hz high-pass keeps the hum from breaking voicing.
        float[] voice = Harmonic(_ => 155, 1.0, amplitude: 0.05);
        for (int i = 0; i < voice.Length; i++)
        {
            voice[i] += (float)(0.03 * Math.Sin(2 * Math.PI * 60 * i / Rate));
        }

        double[] track = PitchTracker.Track(voice, Rate);
        Assert.True(track.Count(f => f > 0 && Math.Abs(1200 * Math.Log2(f / 155)) < 20) > 0.9 * track.Length, string.Join(' ', track.Select(f => f.ToString("F0", System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Fact]
    public void FollowsAGlideAndLeavesSilenceAndNoiseUnvoiced()
    {
        double[] glide = PitchTracker.Track(Harmonic(t => 100 + (100 * t), 1.0), Rate);
        for (int i = 0; i < glide.Length; i++)
        {
            double centre = 100 + (100 * ((i * 0.01) + 0.0125 + 0.5 * 0.02));
            Assert.InRange(Math.Abs(1200 * Math.Log2(glide[i] / centre)), 0, 30);
        }

        Assert.All(PitchTracker.Track(new float[Rate], Rate), f => Assert.Equal(0, f));
        double[] noise = PitchTracker.Track(Noise(Rate, 0.3, 5), Rate);
        Assert.True(noise.Count(f => f > 0) < noise.Length / 10, $"{noise.Count(f => f > 0)} of {noise.Length} noise frames voiced");
    }

    [Fact]
    public void ComparisonReportsCentsGrossErrorsAndVoicingErrors()
    {
        float[] reference = Harmonic(_ => 200, 1.0);
        PitchComparison same = PitchComparison.Compute(reference, reference, Rate);
        Assert.Equal(0, same.MedianCents, 6);
        Assert.Equal(0, same.GrossPitchError);
        Assert.Equal(0, same.VoicingError);

        PitchComparison sharp = PitchComparison.Compute(reference, Harmonic(_ => 200 * Math.Pow(2, 50 / 1200.0), 1.0), Rate);
        Assert.InRange(sharp.MedianCents, 45, 55);
        Assert.Equal(0, sharp.GrossPitchError);

        PitchComparison octave = PitchComparison.Compute(reference, Harmonic(_ => 100, 1.0), Rate);
        Assert.InRange(octave.MedianCents, 1190, 1210);
        Assert.Equal(1, octave.GrossPitchError);

        PitchComparison noise = PitchComparison.Compute(reference, Noise(Rate, 0.3, 9), Rate);
        Assert.True(noise.VoicingError > 0.8);

        PitchComparison fromTracks = PitchComparison.Compare([100, 0, 200, 300, 0], [100, 100, 250, 0, 0]);
        Assert.Equal(2, fromTracks.VoicedFrames);
        Assert.Equal(0.5, fromTracks.GrossPitchError);
        Assert.Equal(0.4, fromTracks.VoicingError, 9);
        Assert.Equal(0.5 * 1200 * Math.Log2(1.25), fromTracks.MedianCents, 9);
    }

    [Theory]
    [InlineData(48000)]
    [InlineData(44100)]
    [InlineData(16000)]
    public void AFullScale997HzSineReadsMinus3Point01Lkfs(int rate)
    {
        var sine = new float[rate * 3];
        for (int i = 0; i < sine.Length; i++)
        {
            sine[i] = (float)Math.Sin(2 * Math.PI * 997 * i / rate);
        }

        // BS.1770-4 calibration: 0 dBFS 997 Hz sine in one channel = -3.01 LKFS (the bilinear design at 16 kHz
        // warps the shelf a little, hence the wider bound there).
        Assert.InRange(Loudness.Integrated(sine, rate), -3.01 - (rate == 16000 ? 0.1 : 0.02), -3.01 + (rate == 16000 ? 0.1 : 0.02));
        float[] quieter = sine.Select(v => v * 0.1f).ToArray();
        Assert.Equal(-20, Loudness.Difference(sine, quieter, rate), 3);
        Assert.Equal(double.NegativeInfinity, Loudness.Integrated(new float[rate], rate));
    }

    [Fact]
    public void LoudnessGatesOutSilenceBetweenWords()
    {
        float[] tone = Harmonic(_ => 150, 1.0);
        float[] withGaps = [.. tone, .. new float[2 * Rate], .. tone];
        // Without gating, half the time silent would read 3 dB lower; the gate keeps it within the blocks at the word edges.
        Assert.InRange(Loudness.Integrated(tone, Rate) - Loudness.Integrated(withGaps, Rate), 0, 1);
    }

    [Fact]
    public void LogSpectralDistanceOfAScaledSignalIsItsGainInDecibels()
    {
        float[] noise = Noise(Rate, 0.2, 3);
        Assert.Equal(0, SpeechMetrics.LogSpectralDistance(noise, noise), 9);
        Assert.Equal(20 * Math.Log10(2), SpeechMetrics.LogSpectralDistance(noise, noise.Select(v => v * 2).ToArray()), 3);

        // Smearing harmonics into a broad envelope is what it measures: a harmonic tone against noise shaped alike is far off.
        float[] tone = Harmonic(_ => 150, 1.0);
        Assert.True(SpeechMetrics.LogSpectralDistance(tone, Noise(Rate, 0.05, 4)) > 10);
    }
}
