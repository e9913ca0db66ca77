using VqCodec.Codec.Speech;
using VqCodec.Container;

namespace VqCodec.Codec.Tests;

/// <summary>The band analysis and per-bin gains of the envelope corrections (format 1.5, spec §4d).</summary>
public class SpectralEnvelopeTests
{
    private const double BinHz = 25;
    private const int Bins = 321;

    [Fact]
    public void NoCorrectionIsNoGainAndAConstantOneIsEverywhere()
    {
        Assert.Null(SpectralEnvelope.BinGains([null, null], Bins, 5, BinHz));
        double[] six = Enumerable.Repeat(6.0, SegmentEnvelope.Bands).ToArray();
        float[] gains = SpectralEnvelope.BinGains([six, six, six], Bins, 7, BinHz)!;
        Assert.All(gains, g => Assert.Equal(Math.Pow(10, 6 / 20.0), g, 5));
    }

    [Fact]
    public void GainsInterpolateBetweenBandCentresAndTokenFrames()
    {
        var a = new double[SegmentEnvelope.Bands];
        a[5] = 10;
        float[] gains = SpectralEnvelope.BinGains([a, null], Bins, 4, BinHz)!;
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
}
