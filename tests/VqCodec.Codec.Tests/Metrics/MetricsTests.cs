using VqCodec.Codec.Audio;
using VqCodec.Codec.Image;
using VqCodec.Codec.Metrics;

namespace VqCodec.Codec.Tests;

public class MetricsTests
{
    [Fact]
    public void PsnrOfKnownImages()
    {
        var a = new RgbImage(4, 4, new byte[48]);
        var px = new byte[48];
        Array.Fill(px, (byte)10);
        var b = new RgbImage(4, 4, px);
        // MSE = 100 everywhere: PSNR = 10 log10(255² / 100) = 28.1308 dB.
        Assert.Equal(28.1308, ImageMetrics.Psnr(a, b), 4);
        Assert.Equal(double.PositiveInfinity, ImageMetrics.Psnr(a, a));
    }

    [Fact]
    public void MsSsimIsOneForIdenticalImagesAndLowerForNoisyOnes()
    {
        RgbImage img = TinyModels.Gradient(192, 192);
        Assert.Equal(1.0, ImageMetrics.MsSsim(img, img), 9);
        var noisy = (byte[])img.Pixels.Clone();
        var rng = new Random(1);
        for (int i = 0; i < noisy.Length; i++)
        {
            noisy[i] = (byte)Math.Clamp(noisy[i] + rng.Next(-40, 41), 0, 255);
        }

        double v = ImageMetrics.MsSsim(img, new RgbImage(192, 192, noisy));
        Assert.InRange(v, 0.3, 0.99);
        Assert.Throws<ArgumentException>(() => ImageMetrics.MsSsim(TinyModels.Gradient(100, 100), TinyModels.Gradient(100, 100)));
    }

    [Fact]
    public void BdRateOfIdenticalCurvesIsZeroAndOfAScaledCurveIsTheFactor()
    {
        (double, double)[] anchor = [(0.1, 24), (0.2, 27), (0.4, 30), (0.8, 33.5)];
        Assert.Equal(0, BjontegaardDelta.Rate(anchor, anchor), 10);
        Assert.Equal(0.25, BjontegaardDelta.Rate(anchor, anchor.Select(p => (p.Item1 * 1.25, p.Item2))), 10);
        Assert.Equal(-0.2, BjontegaardDelta.Rate(anchor, anchor.Select(p => (p.Item1 * 0.8, p.Item2))), 10);
        Assert.True(double.IsNaN(BjontegaardDelta.Rate(anchor, [(1.0, 40.0), (2.0, 45.0)])));
    }

    private static float[] Speechlike(int n, int seed)
    {
        // Harmonic "voiced" bursts with a syllabic envelope plus a little noise, 16 kHz.
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            double t = i / 16000.0;
            double env = Math.Max(0, Math.Sin(2 * Math.PI * 3 * t));
            double f0 = 120 + (30 * Math.Sin(2 * Math.PI * 0.5 * t));
            double s = 0;
            for (int h = 1; h <= 25; h++)
            {
                s += Math.Sin(2 * Math.PI * f0 * h * t) / h;
            }

            x[i] = (float)((0.3 * env * s) + (0.01 * (rng.NextDouble() - 0.5)));
        }

        return x;
    }

    [Fact]
    public void StoiIsOneForTheSignalItselfAndLowerForABandLimitedCopy()
    {
        float[] x = Speechlike(16000 * 3, 1);
        Assert.Equal(1.0, SpeechMetrics.Stoi(x, x, 16000), 6);
        float[] band = Resampler.Resample(Resampler.Resample(x, 16000, 2000), 2000, 16000);
        double s = SpeechMetrics.Stoi(x, band, 16000);
        Assert.True(s < 0.95, $"band-limited STOI {s}");
        var rng = new Random(2);
        float[] noisy = x.Select(v => v + (float)(0.5 * (rng.NextDouble() - 0.5))).ToArray();
        Assert.True(SpeechMetrics.Stoi(x, noisy, 16000) < SpeechMetrics.Stoi(x, x, 16000));
    }

    [Fact]
    public void SnrSiSnrAndMelDistanceKnownValues()
    {
        float[] x = Speechlike(16000, 3);
        float[] half = x.Select(v => v * 0.5f).ToArray();
        // ref − test = 0.5 x: SNR = 10 log10(1 / 0.25) = 6.0206 dB; SI-SNR is scale-invariant (infinite).
        Assert.Equal(6.0206, SpeechMetrics.Snr(x, half), 3);
        Assert.True(SpeechMetrics.SiSnr(x, half) > 100);
        Assert.Equal(0, SpeechMetrics.MelDistance(x, x), 10);
        Assert.True(SpeechMetrics.MelDistance(x, half) > 0.5);
    }

    [Fact]
    public void ResamplerKeepsInBandTonesAndRemovesOutOfBandOnes()
    {
        int n = 16000;
        float[] tone = Enumerable.Range(0, n).Select(i => (float)Math.Sin(2 * Math.PI * 1000 * i / 16000.0)).ToArray();
        float[] down = Resampler.Resample(tone, 16000, 8000);
        Assert.Equal(8000, down.Length);
        double rms = Math.Sqrt(down.Skip(200).Take(7600).Average(v => v * v));
        Assert.Equal(Math.Sqrt(0.5), rms, 2);
        float[] high = Enumerable.Range(0, n).Select(i => (float)Math.Sin(2 * Math.PI * 6000 * i / 16000.0)).ToArray();
        float[] aliased = Resampler.Resample(high, 16000, 8000);
        double leak = Math.Sqrt(aliased.Skip(200).Take(7600).Average(v => v * v));
        Assert.True(leak < 0.01, $"6 kHz leaked {leak} into 8 kHz output");
    }
}
