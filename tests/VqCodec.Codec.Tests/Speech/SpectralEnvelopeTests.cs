using VqCodec.Codec.Speech;
using VqCodec.Container;

namespace VqCodec.Codec.Tests;

/// <summary>The band analysis and per-bin gains of the envelope corrections (formats 1.5 and 1.6, spec §4d).</summary>
public class SpectralEnvelopeTests
{
    private const double BinHz = 25;
    private const int Bins = 321;

    [Fact]
    public void NoCorrectionIsNoGainAndAConstantOneIsEverywhere()
    {
        Assert.Null(SpectralEnvelope.BinGains([null, null], Bins, 5, BinHz, 0, 160, 320));
        double[] six = Enumerable.Repeat(6.0, SegmentEnvelope.Bands).ToArray();
        float[] gains = SpectralEnvelope.BinGains([six, six, six], Bins, 7, BinHz, 0, 160, 320)!;
        Assert.All(gains, g => Assert.Equal(Math.Pow(10, 6 / 20.0), g, 5));
    }

    [Fact]
    public void GainsInterpolateBetweenBandCentresAndTokenFrames()
    {
        var a = new double[SegmentEnvelope.Bands];
        a[5] = 10;
        float[] gains = SpectralEnvelope.BinGains([a, null], Bins, 4, BinHz, 0, 160, 320)!;
        double centre = 0.5 * (SpectralEnvelope.EdgesHz[5] + SpectralEnvelope.EdgesHz[6]); // 700 Hz: bin 28
        int bin = (int)(centre / BinHz);
        double Db(int k, int t) => 20 * Math.Log10(gains[(k * 4) + t]);

        // STFT frame 1 is token frame 0's centre; frame 2 halfway to token frame 1 (none); frame 3 is token frame 1's.
        Assert.Equal(10, Db(bin, 1), 4);
        Assert.Equal(5, Db(bin, 2), 4);
        Assert.Equal(0, Db(bin, 3), 4);

        // Between the centres of bands 5 and 6 the correction falls linearly; far from band 5 it is 0.
        double next = 0.5 * (SpectralEnvelope.EdgesHz[6] + SpectralEnvelope.EdgesHz[7]);
        int mid = (int)Math.Round((centre + next) / 2 / BinHz);
        Assert.Equal(10 * (1 - (((mid * BinHz) - centre) / (next - centre))), Db(mid, 1), 4);
        Assert.Equal(0, Db(200, 1), 4);
    }

    [Fact]
    public void FrameEnergiesWeighTheCentreFrameHalfAndItsNeighboursAQuarter()
    {
        // One bin of 1 kHz (band 7: 920-1080 Hz) with magnitude t + 1 in STFT frame t.
        const int stftFrames = 5;
        var magnitude = new float[Bins * stftFrames];
        for (int t = 0; t < stftFrames; t++)
        {
            magnitude[(40 * stftFrames) + t] = t + 1;
        }

        double[][] e = SpectralEnvelope.FrameEnergies(magnitude, Bins, stftFrames, 2, BinHz);
        Assert.Equal((0.25 * 1) + (0.5 * 4) + (0.25 * 9), e[0][7], 9);
        Assert.Equal((0.25 * 9) + (0.5 * 16) + (0.25 * 25), e[1][7], 9);
        Assert.Equal(0, e[0][6]);
    }

    [Fact]
    public void CorrectionsRoundTheRatioToStepsWithinTheLimit()
    {
        double[] input = Enumerable.Repeat(1.0, SegmentEnvelope.Bands).ToArray(), output = Enumerable.Repeat(1.0, SegmentEnvelope.Bands).ToArray();
        output[0] = 0.5;    // +3.01 dB: one 3 dB step
        output[1] = 2.0;    // −3.01 dB
        output[2] = 1e-12;  // +120 dB: the limit
        output[3] = 0.7;    // +1.5 dB: rounds to 1 step
        sbyte[] v = SpectralEnvelope.Corrections(input, output, 3, 0);
        Assert.Equal([1, -1, SegmentEnvelope.MaxValue, 1, 0], v[..5]);
    }

    [Fact]
    public void AfterSynthesisGainsFollowTheShortStftsFrameCentres()
    {
        // Format 1.6: a 320-point STFT with hop 80 over a window's core from token frame 2 on, with 320 samples of
        // context before it: STFT frame t is centred on sample 2·320 − 320 + 80·t, so frame 6 is token frame 2's centre
        // (800) and frame 8 lies halfway to token frame 3's.
        var a = new double[SegmentEnvelope.Bands];
        a[5] = 8;
        const double binHz = 50;
        float[] gains = SpectralEnvelope.BinGains([null, null, a, null], 161, 12, binHz, (2 * 320) - 320, 80, 320)!;
        int bin = (int)(0.5 * (SpectralEnvelope.EdgesHz[5] + SpectralEnvelope.EdgesHz[6]) / binHz);
        double Db(int t) => 20 * Math.Log10(gains[(bin * 12) + t]);
        Assert.Equal(8, Db(6), 4);
        Assert.Equal(6, Db(7), 4);
        Assert.Equal(4, Db(8), 4);
        Assert.Equal(0, Db(10), 4);
        Assert.Equal(4, Db(4), 4);
        Assert.Equal(0, Db(2), 4);
    }

    [Fact]
    public void FrameEnergiesOfTheShortStftWeighTheirFiveFramesAsABox()
    {
        const int stftFrames = 9;
        var magnitude = new float[161 * stftFrames];
        for (int t = 0; t < stftFrames; t++)
        {
            magnitude[(20 * stftFrames) + t] = 1 << t;   // 1 kHz at 50 Hz per bin: band 7
        }

        double[][] e = SpectralEnvelope.FrameEnergies(magnitude, 161, stftFrames, 2, 50, perFrame: 4);
        double Sq(int t) => Math.Pow(1 << t, 2);
        Assert.Equal((Sq(0) / 8) + ((Sq(1) + Sq(2) + Sq(3)) / 4) + (Sq(4) / 8), e[0][7], 6);
        Assert.Equal((Sq(4) / 8) + ((Sq(5) + Sq(6) + Sq(7)) / 4) + (Sq(8) / 8), e[1][7], 6);
    }

    [Fact]
    public void CorrectionsAfterTheSynthesisDoNotDependOnWhereDecodeWindowsFall()
    {
        // Two windows whose STFTs see the neighbouring output as context give the output of one window over both.
        var rng = new Random(5);
        const int hop = 320, frames = 12;
        float[] signal = [.. Enumerable.Range(0, frames * hop).Select(i => (float)((0.3 * Math.Sin(i * 0.07)) + (0.1 * ((rng.NextDouble() * 2) - 1))))];
        double[]?[] decibels = [.. Enumerable.Range(0, frames).Select(j => j % 3 == 1 ? null : Enumerable.Range(0, SegmentEnvelope.Bands).Select(b => (double)((j + b) % 7) - 3).ToArray())];
        float[] zeros = new float[320];
        AssertTwoWindowsMatchOne(signal, decibels, hop);

        // A constant +6 dB everywhere doubles the signal.
        double[] six = Enumerable.Repeat(20 * Math.Log10(2), SegmentEnvelope.Bands).ToArray();
        float[] doubled = SpectralEnvelope.ApplyAfterSynthesis(zeros, signal, zeros, [.. Enumerable.Repeat(six, frames)], 0, hop, 16000);
        for (int i = 0; i < signal.Length; i++)
        {
            Assert.True(Math.Abs(doubled[i] - (2 * signal[i])) < 1e-4, $"sample {i}: {doubled[i]} against {2 * signal[i]}");
        }
    }

    [Fact]
    public void HalfFrameCorrectionsInterpolateBetweenHalfFrameCentresAndDoNotDependOnWindows()
    {
        var rng = new Random(6);
        const int hop = 320, frames = 12;
        float[] signal = [.. Enumerable.Range(0, frames * hop).Select(i => (float)((0.3 * Math.Sin(i * 0.05)) + (0.1 * ((rng.NextDouble() * 2) - 1))))];

        // Format 1.7 rows (two per frame), a frame without corrections, and one frame of a 20 ms segment in between.
        double[]? Row(int j) => j switch
        {
            3 => null,
            7 => [.. Enumerable.Range(0, SegmentEnvelope.Bands).Select(b => 2.0)],
            _ => [.. Enumerable.Range(0, 2 * SegmentEnvelope.Bands).Select(i => (double)((j + i) % 5) - 2)],
        };
        double[]?[] decibels = [.. Enumerable.Range(0, frames).Select(Row)];
        AssertTwoWindowsMatchOne(signal, decibels, hop);

        // The gains: at a half's centre exactly its row; halfway between the two halves of a frame their mean; beyond the
        // last point its value. STFT frame t (hop 80, first centre 0) lies on sample 80·t.
        const int bins = 161, stftFrames = frames * 4;
        float[] gains = SpectralEnvelope.BinGains(decibels, bins, stftFrames, 50, 0, 80, hop)!;
        double Db(int bin, int t) => 20 * Math.Log10(gains[(bin * stftFrames) + t]);
        int bin0 = 0;   // below the first band centre: band 0's value
        Assert.Equal(Row(1)![0], Db(bin0, 5), 4);                                            // sample 400 = 320 + 80
        Assert.Equal(Row(1)![SegmentEnvelope.Bands], Db(bin0, 7), 4);                         // sample 560 = 320 + 240
        Assert.Equal(0.5 * (Row(1)![0] + Row(1)![SegmentEnvelope.Bands]), Db(bin0, 6), 4);  // sample 480, the frame centre
        Assert.Equal(0.0, Db(bin0, 14), 4);                                                  // frame 3's centre (no corrections)
        Assert.Equal(2.0, Db(bin0, 30), 4);                                                  // frame 7's centre (one row)
        Assert.Equal(Row(11)![SegmentEnvelope.Bands], Db(bin0, stftFrames - 1), 4);           // beyond the last half
    }

    /// <summary>Two windows split at frame 5, whose STFTs see the neighbouring output as context, give the output of one window over both.</summary>
    private static void AssertTwoWindowsMatchOne(float[] signal, double[]?[] decibels, int hop)
    {
        float[] zeros = new float[320];
        float[] whole = SpectralEnvelope.ApplyAfterSynthesis(zeros, signal, zeros, decibels, 0, hop, 16000);
        const int split = 5;
        float[] first = SpectralEnvelope.ApplyAfterSynthesis(zeros, signal[..(split * hop)], signal[(split * hop)..((split * hop) + 320)], decibels, 0, hop, 16000);
        float[] second = SpectralEnvelope.ApplyAfterSynthesis(signal[((split * hop) - 320)..(split * hop)], signal[(split * hop)..], zeros, decibels, split, hop, 16000);
        float[] joined = [.. first, .. second];
        Assert.Equal(whole.Length, joined.Length);
        for (int i = 0; i < whole.Length; i++)
        {
            Assert.True(Math.Abs(whole[i] - joined[i]) < 1e-5, $"sample {i}: {whole[i]} against {joined[i]}");
        }
    }
}
