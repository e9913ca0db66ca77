using VqCodec.Container;
using VqCodec.Container.Coding;

namespace VqCodec.Container.Tests;

/// <summary>The entropy coders under src/Container/Coding: the adaptive binary range coder (spec §5a) and the rANS frequency tables.</summary>
public sealed class CodingTests
{
    [Fact]
    public void RangeCoderRoundTripsSkewedAndBypassBitsNearTheirEntropy()
    {
        var rng = new TestData.Rng(17);
        const int n = 200_000;
        var bits = new int[n];
        var bypass = new bool[n];
        double entropy = 0;
        for (int i = 0; i < n; i++)
        {
            bypass[i] = i % 10 == 0;
            double p1 = bypass[i] ? 0.5 : (i / 1000 % 2 == 0 ? 0.05 : 0.3);
            bits[i] = rng.NextDouble() < p1 ? 1 : 0;
            entropy += -(p1 * Math.Log2(p1)) - ((1 - p1) * Math.Log2(1 - p1));
        }

        var encoder = new BinaryRangeEncoder();
        var context = new ushort[2];
        Array.Fill(context, BinaryRangeEncoder.Half);
        for (int i = 0; i < n; i++)
        {
            if (bypass[i])
            {
                encoder.EncodeBypass(bits[i]);
            }
            else
            {
                encoder.Encode(ref context[i / 1000 % 2], bits[i]);
            }
        }

        byte[] data = encoder.Finish();
        Assert.InRange(data.Length * 8.0, entropy, entropy * 1.03);

        var decoder = new BinaryRangeDecoder(data);
        Array.Fill(context, BinaryRangeEncoder.Half);
        for (int i = 0; i < n; i++)
        {
            int bit = bypass[i] ? decoder.DecodeBypass() : decoder.Decode(ref context[i / 1000 % 2]);
            Assert.Equal(bits[i], bit);
        }

        Assert.Equal(0, decoder.Overrun);
    }

    [Fact]
    public void RangeDecoderReportsDataThatEndsEarly()
    {
        var encoder = new BinaryRangeEncoder();
        for (int i = 0; i < 4000; i++)
        {
            encoder.EncodeBypass(i % 3 == 0 ? 1 : 0);
        }

        byte[] data = encoder.Finish();
        var decoder = new BinaryRangeDecoder(data[..(data.Length / 2)]);
        for (int i = 0; i < 4000; i++)
        {
            decoder.DecodeBypass();
        }

        Assert.True(decoder.Overrun > 0);
        Assert.Throws<VqcFormatException>(() => new BinaryRangeDecoder([1, 0, 0, 0, 0]));
        Assert.Throws<VqcFormatException>(() => new BinaryRangeDecoder([0, 0, 0]));
    }

    [Fact]
    public void FrequencyNormalisationSumsToScaleWithNoZeros()
    {
        var rng = new TestData.Rng(5);
        for (int trial = 0; trial < 200; trial++)
        {
            int k = 2 + (int)(rng.Next() % 4095);
            long[] counts = Enumerable.Range(0, k).Select(_ => (long)(rng.Next() % 1000) * (rng.Next() % 3 == 0 ? 0 : 1)).ToArray();
            ushort[] f = FrequencyTable.Normalize(counts);
            Assert.Equal(FrequencyTable.Total, f.Sum(x => (int)x));
            Assert.DoesNotContain((ushort)0, f);
        }
    }
}
