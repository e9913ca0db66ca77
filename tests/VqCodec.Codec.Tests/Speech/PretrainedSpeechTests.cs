using VqCodec.Codec.Metrics;
using VqCodec.Codec.Models;
using VqCodec.Codec.Speech;
using VqCodec.Container;

namespace VqCodec.Codec.Tests;

/// <summary>The speech model embedded in the library loads, is the documented file, and codes speech-like audio.</summary>
public class PretrainedSpeechTests
{
    [Fact]
    public void EmbeddedSpeechModelIsTheDocumentedFile()
    {
        Assert.True(SpeechModel.HasPretrained);
        SpeechModel model = SpeechModel.LoadPretrained();
        Assert.Equal(("vqc-speech-v2", 16, 1024, 320), (model.Id, model.Config.Levels, model.Config.CodebookSize, model.Config.Hop));
        Assert.Equal("0ccd7cd2a7e6f39207959be4ebcbd1fccc15a244855f25a5e667862a97f30629", Convert.ToHexString(model.Hash).ToLowerInvariant());
        Assert.NotNull(model.Priors);
        Assert.Contains(ModelCatalog.Embedded, e => e.Id == "vqc-speech-v2");
        ContextPrior prior = model.Priors.Context ?? throw new Xunit.Sdk.XunitException("the embedded speech model has no learned token prior");
        Assert.Equal((16, 1024, 128, 4, true), (prior.Levels, prior.CodebookSize, prior.Width, prior.ContextFrames, prior.Residual));
    }

    [Fact]
    public void TheLearnedPriorCodesSpeechSmallerThanTheStaticTablesAndGeneratesDecodableTokens()
    {
        SpeechModel model = SpeechModel.LoadPretrained();
        float[] x = TinyModels.Voice(3.0);
        var with = new MemoryStream();
        var without = new MemoryStream();
        SpeechCodec.Encode(model, x, 16000, with, new SpeechEncodeOptions { Levels = 6 });
        SpeechCodec.Encode(model, x, 16000, without, new SpeechEncodeOptions { Levels = 6, Policy = TokenCodingPolicy.SmallestWithoutContext });
        Assert.True(with.Length < without.Length, $"{with.Length} vs {without.Length} bytes");
        with.Position = 0;
        without.Position = 0;
        float[] pulled = SpeechCodec.Decode(model, with).Samples;
        Assert.Equal(SpeechCodec.Decode(model, without).Samples, pulled);

        // Streaming: the push decoder fed the context-coded file in small pieces gives the same audio.
        byte[] bytes = with.ToArray();
        var pushed = new List<float>();
        var decoder = new SpeechDecoder(model);
        for (int p = 0; p < bytes.Length; p += 37)
        {
            decoder.Push(bytes.AsSpan(p, Math.Min(37, bytes.Length - p)), pushed);
        }

        decoder.Finish(pushed);
        Assert.Equal(pulled, pushed.ToArray());

        byte[] a = SpeechCodec.Generate(model, 1.5, 4, seed: 9);
        Assert.Equal(a, SpeechCodec.Generate(model, 1.5, 4, seed: 9));
        Assert.NotEqual(a, SpeechCodec.Generate(model, 1.5, 4, seed: 10));
        (float[] y, int rate) = SpeechCodec.Decode(model, new MemoryStream(a));
        Assert.Equal((24000, 16000), (y.Length, rate));
    }

    [Fact]
    public void MoreLevelsCostMoreBitsAndReconstructBetter()
    {
        SpeechModel model = SpeechModel.LoadPretrained();
        float[] x = TinyModels.Voice(4.0);
        var results = new List<(long Bytes, double Stoi, double Mel)>();
        foreach (int levels in new[] { 1, 6, 16 })
        {
            var file = new MemoryStream();
            SpeechCodec.Encode(model, x, 16000, file, new SpeechEncodeOptions { Levels = levels, Voice = false });
            Assert.Equal(model.Hash, VqcProbe.ReadHeader(file.ToArray()).Header.ModelHash);
            file.Position = 0;
            (float[] y, _) = SpeechCodec.Decode(model, file);
            results.Add((file.Length, SpeechMetrics.Stoi(x, y, 16000), SpeechMetrics.MelDistance(x, y)));
        }

        Assert.True(results[0].Bytes < results[1].Bytes && results[1].Bytes < results[2].Bytes);
        Assert.True(results[2].Stoi > results[0].Stoi, $"STOI {results[0].Stoi:F3} -> {results[2].Stoi:F3}");
        Assert.True(results[2].Mel < results[0].Mel, $"mel {results[0].Mel:F3} -> {results[2].Mel:F3}");
        Assert.True(results[1].Stoi > 0.7, $"6 levels: STOI {results[1].Stoi:F3} (1: {results[0].Stoi:F3}, 16: {results[2].Stoi:F3})");
    }

    [Fact]
    public void VoiceParametersGiveThePitchAndLevelOfTheInput()
    {
        // A gliding 80-160 Hz voice: without the voice parameters the model's own harmonics miss its pitch and level;
        // with them (the default) the decoded pitch and loudness are the input's.
        SpeechModel model = SpeechModel.LoadPretrained();
        float[] x = TinyModels.Voice(4.0);
        (double Cents, double Gpe, double Loudness, double Stoi, long Bytes) Run(bool voice)
        {
            (float[] y, long bytes) = RoundTrip(model, x, new SpeechEncodeOptions { Levels = 6, Voice = voice, Envelope = false }, voice ? 4 : 2);
            PitchComparison p = PitchComparison.Compute(x, y, 16000);
            return (p.MedianCents, p.GrossPitchError, Loudness.Difference(x, y, 16000), SpeechMetrics.Stoi(x, y, 16000), bytes);
        }

        var without = Run(false);
        var with = Run(true);
        Assert.True(with.Cents < 30 && with.Cents < without.Cents, $"median F0 error {without.Cents:F0} -> {with.Cents:F0} cents");
        Assert.True(with.Gpe <= 0.05 && with.Gpe <= without.Gpe, $"gross pitch error {without.Gpe:P1} -> {with.Gpe:P1}");
        Assert.True(Math.Abs(with.Loudness) < 1 && Math.Abs(with.Loudness) < Math.Abs(without.Loudness), $"loudness {without.Loudness:F2} -> {with.Loudness:F2} dB");
        Assert.True(with.Stoi > 0.65, $"STOI {without.Stoi:F3} -> {with.Stoi:F3}");
        Assert.InRange(with.Bytes - without.Bytes, 1, 4 * 60);
    }

    [Fact]
    public void EnvelopeCorrectionsBringTheBandEnergiesToTheInputs()
    {
        // The default (format 1.6) against the voice parameters alone (1.4): per frame and band, the decoded energy is
        // much closer to the input's, intelligibility and mel distance improve, and the level stays the input's.
        SpeechModel model = SpeechModel.LoadPretrained();
        float[] x = TinyModels.Voice(4.0);
        (double BandError, double Stoi, double Mel, double Loudness, long Bytes) Run(bool envelope)
        {
            (float[] y, long bytes) = RoundTrip(model, x, new SpeechEncodeOptions { Levels = 2, Envelope = envelope }, envelope ? 6 : 4);
            return (BandError(model, x, y), SpeechMetrics.Stoi(x, y, 16000), SpeechMetrics.MelDistance(x, y), Loudness.Difference(x, y, 16000), bytes);
        }

        var without = Run(false);
        var with = Run(true);
        Assert.True(with.BandError < 0.6 * without.BandError, $"mean band energy error {without.BandError:F2} -> {with.BandError:F2} dB");
        Assert.True(with.Stoi > without.Stoi, $"STOI {without.Stoi:F3} -> {with.Stoi:F3}");
        Assert.True(with.Mel < without.Mel, $"mel {without.Mel:F3} -> {with.Mel:F3}");
        Assert.True(Math.Abs(with.Loudness) < 1, $"loudness {with.Loudness:F2} dB");
        Assert.True(with.Bytes > without.Bytes);
    }

    [Fact]
    public void HalfFrameCorrectionsFollowTheBandEnergiesCloser()
    {
        // Format 1.7 (corrections every 10 ms) against 1.6 (every 20 ms) at the same level count: the band energies per
        // 10 ms come closer to the input's, for more bytes; STOI does not fall.
        SpeechModel model = SpeechModel.LoadPretrained();
        float[] x = TinyModels.Voice(4.0);
        (float[] y20, long bytes20) = RoundTrip(model, x, new SpeechEncodeOptions { Levels = 2 }, 6);
        (float[] y10, long bytes10) = RoundTrip(model, x, new SpeechEncodeOptions { Levels = 2, EnvelopeHalfFrames = true }, 7);
        double e20 = BandError(model, x, y20, half: true), e10 = BandError(model, x, y10, half: true);
        Assert.True(e10 < 0.95 * e20, $"band energy error per 10 ms {e20:F2} -> {e10:F2} dB");
        Assert.True(SpeechMetrics.Stoi(x, y10, 16000) >= SpeechMetrics.Stoi(x, y20, 16000) - 0.002);
        Assert.True(bytes10 > bytes20);
    }

    /// <summary>Encodes <paramref name="x"/> at 16 kHz, checks the file's minor version, and decodes it.</summary>
    private static (float[] Decoded, long Bytes) RoundTrip(SpeechModel model, float[] x, SpeechEncodeOptions options, int minor)
    {
        var file = new MemoryStream();
        SpeechCodec.Encode(model, x, 16000, file, options);
        Assert.Equal(minor, file.ToArray()[9]);
        file.Position = 0;
        return (SpeechCodec.Decode(model, file).Samples, file.Length);
    }

    /// <summary>Mean absolute difference in dB of the 20 envelope bands' energies per token frame, over frames within 30 dB of the loudest.</summary>
    /// <remarks>With <paramref name="half"/>, per 10 ms on the 320-point STFT the format-1.6 and 1.7 corrections apply through.</remarks>
    private static double BandError(SpeechModel model, float[] x, float[] y, bool half = false)
    {
        int size = half ? SpectralEnvelope.AfterSynthesisSize : model.Config.StftSize, hop = half ? SpectralEnvelope.AfterSynthesisHop : model.Config.StftHop;
        double binHz = (double)model.Config.SampleRate / size;
        int frames = x.Length / (half ? model.Config.Hop / 2 : model.Config.Hop);
        (float[] mx, int bins, int n) = SpectralEnvelope.Magnitude(x, size, hop);
        (float[] my, _, _) = SpectralEnvelope.Magnitude(y[..x.Length], size, hop);
        double[][] ex = SpectralEnvelope.FrameEnergies(mx, bins, n, frames, binHz), ey = SpectralEnvelope.FrameEnergies(my, bins, n, frames, binHz);
        double loudest = ex.Max(e => e.Sum()), sum = 0;
        int count = 0;
        for (int j = 0; j < frames; j++)
        {
            if (ex[j].Sum() < loudest * 1e-3)
            {
                continue;
            }

            for (int b = 0; b < ex[j].Length; b++)
            {
                sum += Math.Abs(10 * Math.Log10((ex[j][b] + 1e-9) / (ey[j][b] + 1e-9)));
                count++;
            }
        }

        return sum / count;
    }

    [Fact]
    public void EveryBitFlipAndCutOfAPretrainedSpeechFileIsRefusedByTheFullDecoder()
    {
        SpeechModel model = SpeechModel.LoadPretrained();
        var ms = new MemoryStream();
        SpeechCodec.Encode(model, TinyModels.Voice(0.3), 16000, ms, new SpeechEncodeOptions { Levels = 2 });
        byte[] file = ms.ToArray();
        for (int bit = 0; bit < file.Length * 8; bit++)
        {
            byte[] bad = (byte[])file.Clone();
            bad[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.Throws<VqcFormatException>(() => SpeechCodec.Decode(model, new MemoryStream(bad)));
            Assert.Throws<VqcFormatException>(() => VqcDocument.Read(new MemoryStream(bad), TokenPriors.Resolver(model.Priors)));
        }

        for (int n = 0; n < file.Length; n++)
        {
            Assert.Throws<VqcFormatException>(() => SpeechCodec.Decode(model, new MemoryStream(file[..n])));
        }
    }
}
