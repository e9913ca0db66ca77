using VqCodec.Codec.Metrics;

namespace VqCodec.Codec.Tests;

/// <summary>ViSQOL's speech mode (<see cref="Visqol"/>) against known values and the orderings it must keep.</summary>
public class VisqolTests
{
    private const int Rate = Visqol.SampleRate;

    /// <summary>
    /// Three seconds of a speech-like signal: a harmonic voice gliding between 110 and 180 Hz, opened and closed four times a
    /// second like syllables, with short noise bursts (fricatives) between them and a pause in the middle.
    /// </summary>
    private static float[] SpeechLike(int seed = 1)
    {
        var rng = new Random(seed);
        var x = new float[3 * Rate];
        double phase = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double t = i / (double)Rate;
            double f0 = 145 + (35 * Math.Sin(2 * Math.PI * 0.7 * t));
            phase += 2 * Math.PI * f0 / Rate;
            double voice = 0;
            for (int k = 1; k * f0 < 4000; k++)
            {
                voice += Math.Sin(k * phase) / k;
            }

            double syllable = Math.Max(0, Math.Sin(2 * Math.PI * 4 * t));
            double burst = Math.Max(0, -Math.Sin(2 * Math.PI * 4 * t)) > 0.8 ? 0.08 * ((rng.NextDouble() * 2) - 1) : 0;
            double gate = t is > 1.4 and < 1.8 ? 0 : 1;
            x[i] = (float)(gate * ((0.12 * syllable * voice) + burst));
        }

        return x;
    }

    private static float[] WithNoise(float[] x, double snrDb, int seed)
    {
        var rng = new Random(seed);
        double power = x.Average(v => (double)v * v);
        double sigma = Math.Sqrt(power / Math.Pow(10, snrDb / 10) * 3);
        return x.Select(v => (float)(v + (sigma * ((rng.NextDouble() * 2) - 1)))).ToArray();
    }

    [Fact]
    public void MosMappingIsTheSpeechModeFitScaledToFive()
    {
        // a + exp(b·(x − x0)) with a = −262.847869, b = 0.0154302525, x0 = −361.063949, times 1.245063 (as float: NSIM 1
        // maps to 4.99999994).
        Assert.Equal(5.0, Visqol.MosFromNsim(1.0), 6);
        Assert.Equal(4.48771, Visqol.MosFromNsim(0.9), 4);
        Assert.Equal(3.97620, Visqol.MosFromNsim(0.8), 4);
        Assert.Equal(2.44642, Visqol.MosFromNsim(0.5), 4);
        Assert.Equal(1.0, Visqol.MosFromNsim(0.2), 9);
    }

    [Fact]
    public void BandsAreErbSpacedFrom50HzTo8kHz()
    {
        double[] cf = Visqol.CentreFrequencies();
        Assert.Equal(Visqol.Bands, cf.Length);
        Assert.Equal(50.0, cf[0], 6);
        Assert.InRange(cf[^1], 6700, 6850);
        const double q = 9.26449 * 24.7;
        double step = Math.Log(cf[1] + q) - Math.Log(cf[0] + q);
        for (int i = 1; i < cf.Length; i++)
        {
            Assert.True(cf[i] > cf[i - 1]);
            Assert.Equal(step, Math.Log(cf[i] + q) - Math.Log(cf[i - 1] + q), 9);
        }

        // The top band sits one step under 8 kHz on the ERB-rate scale.
        Assert.Equal(Math.Log(8000 + q) - step, Math.Log(cf[^1] + q), 9);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(12)]
    [InlineData(20)]
    public void EachFilterPassesItsCentreFrequencyAtUnitGain(int band)
    {
        double f = Visqol.CentreFrequencies()[band];
        float[] tone = Enumerable.Range(0, 2 * Rate).Select(i => (float)Math.Sin(2 * Math.PI * f * i / Rate)).ToArray();
        double[] rms = Visqol.BandRms(tone);
        Assert.InRange(rms[band] * Math.Sqrt(2), 0.99, 1.01);
        if (band + 3 < Visqol.Bands)
        {
            Assert.True(rms[band + 3] < 0.2 * rms[band], $"band {band + 3}: {rms[band + 3]}");
        }
    }

    [Fact]
    public void NsimOfKnownPatches()
    {
        double[][] Patch(Func<int, int, double> f) => Enumerable.Range(0, 21).Select(b => Enumerable.Range(0, 20).Select(t => f(b, t)).ToArray()).ToArray();
        double[][] textured = Patch((b, t) => 20 + (10 * Math.Sin(b + (0.7 * t))));
        var (same, sameBands) = Visqol.Nsim(textured, textured);
        Assert.Equal(1.0, same, 12);
        Assert.All(sameBands, v => Assert.Equal(1.0, v, 12));

        // Constant patches: no structure term (both variances 0), the intensity term (2ab + c1) / (a² + b² + c1), c1 = 1e-4.
        var (flat, _) = Visqol.Nsim(Patch((_, _) => 10), Patch((_, _) => 12));
        Assert.Equal(240.0001 / 244.0001, flat, 8);

        // An inverted texture around the same mean correlates negatively.
        var (inverted, _) = Visqol.Nsim(textured, Patch((b, t) => 40 - textured[b][t]));
        Assert.True(inverted < 0, $"{inverted}");
    }

    [Fact]
    public void IdenticalSignalsScoreFive()
    {
        float[] x = SpeechLike();
        Visqol.Score s = Visqol.Speech(x, x);
        Assert.Equal(5.0, s.MosLqo, 6);
        Assert.Equal(1.0, s.Nsim, 9);
        Assert.True(s.Patches >= 5, $"{s.Patches} patches");
    }

    [Fact]
    public void DelayAndLevelDoNotCount()
    {
        float[] x = SpeechLike();
        const int delay = 592;
        float[] late = new float[x.Length];
        for (int i = delay; i < x.Length; i++)
        {
            late[i] = 0.5f * x[i - delay];
        }

        Visqol.Score s = Visqol.Speech(x, late);
        Assert.True(s.MosLqo > 4.9, $"MOS {s.MosLqo:F3}, NSIM {s.Nsim:F4}");
    }

    [Fact]
    public void MoreNoiseScoresLower()
    {
        float[] x = SpeechLike();
        double[] mos = new[] { 30, 20, 10 }.Select(snr => Visqol.Speech(x, WithNoise(x, snr, 7)).MosLqo).ToArray();
        Assert.True(mos[0] < 5 && mos[0] > mos[1] && mos[1] > mos[2], string.Join(", ", mos.Select(m => m.ToString("F3"))));
        Assert.True(mos[2] < 4, $"10 dB SNR: {mos[2]:F3}");
    }

    [Fact]
    public void LowPassScoresLowerThanTheOriginal()
    {
        float[] x = SpeechLike();

        // Four one-pole low-passes at 500 Hz (24 dB per octave above it) remove the upper harmonics and the bursts.
        float[] y = x;
        double a = Math.Exp(-2 * Math.PI * 500 / Rate);
        for (int pass = 0; pass < 4; pass++)
        {
            var next = new float[y.Length];
            double state = 0;
            for (int i = 0; i < y.Length; i++)
            {
                state = ((1 - a) * y[i]) + (a * state);
                next[i] = (float)state;
            }

            y = next;
        }

        Visqol.Score s = Visqol.Speech(x, y);
        Assert.InRange(s.MosLqo, 1, 4.5);
        Assert.True(s.BandNsim[^1] < s.BandNsim[2], $"top band {s.BandNsim[^1]:F3}, band 2 {s.BandNsim[2]:F3}");
    }

    [Fact]
    public void TooShortAReferenceIsRefused()
    {
        float[] x = SpeechLike().AsSpan(0, Rate / 20).ToArray();
        Assert.Throws<ArgumentException>(() => Visqol.Speech(x, x));
    }
}
