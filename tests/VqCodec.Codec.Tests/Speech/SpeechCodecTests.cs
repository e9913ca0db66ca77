using VqCodec.Codec.Audio;
using VqCodec.Codec.Speech;
using VqCodec.Container;

namespace VqCodec.Codec.Tests;

public class SpeechCodecTests
{
    private static readonly SpeechModel Model = TinyModels.LoadSpeech();

    private static byte[] Encode(float[] x, int rate = 16000, SpeechEncodeOptions? options = null)
    {
        var ms = new MemoryStream();
        SpeechCodec.Encode(Model, x, rate, ms, options);
        return ms.ToArray();
    }

    [Fact]
    public void RoundTripKeepsLengthAndWritesASegmentedSpeechHeader()
    {
        float[] x = TinyModels.Voice(3.3);
        byte[] file = Encode(x, options: new SpeechEncodeOptions { SegmentFrames = 50 });
        VqcHeader h = VqcProbe.ReadHeader(file).Header;
        Assert.Equal(MediaKind.Speech, h.Kind);
        Assert.Equal((16000, x.Length, 50, 4), (h.SampleRate, h.SampleCount, h.SegmentLength, h.Levels.Length));
        Assert.Equal((x.Length + 319) / 320, h.Levels[0].GridWidth);
        (float[] y, int rate) = SpeechCodec.Decode(Model, new MemoryStream(file));
        Assert.Equal(16000, rate);
        Assert.Equal(x.Length, y.Length);
        Assert.All(y, v => Assert.True(float.IsFinite(v) && Math.Abs(v) <= 1));
    }

    [Fact]
    public void DefaultSegmentsAreFiveSecondsAndCostLessThanOneSecondSegments()
    {
        // Each segment restarts every adaptive context and costs a chunk and a seek-table entry (design.md, "Segment length").
        float[] x = TinyModels.Voice(6.1);
        byte[] standard = Encode(x);
        byte[] short1s = Encode(x, options: new SpeechEncodeOptions { SegmentFrames = 50 });
        VqcHeader h = VqcProbe.ReadHeader(standard).Header;
        Assert.Equal((SpeechEncodeOptions.DefaultSegmentFrames, 2), (h.SegmentLength, h.SegmentCount));
        Assert.True(standard.Length < short1s.Length, $"{standard.Length} bytes in 5 s segments, {short1s.Length} in 1 s segments");
        (float[] y, _) = SpeechCodec.Decode(Model, new MemoryStream(standard));
        Assert.Equal(x.Length, y.Length);
    }

    [Fact]
    public void PushingAudioInPiecesGivesTheSameFileAsTheWholeSignal()
    {
        float[] x = TinyModels.Voice(6.1);
        byte[] whole = Encode(x);
        var ms = new MemoryStream();
        using (var enc = new SpeechEncoder(Model, ms, new SpeechSource(16000, x.Length), leaveOpen: true))
        {
            var rng = new Random(5);
            for (int p = 0; p < x.Length;)
            {
                int n = Math.Min(x.Length - p, rng.Next(1, 5000));
                enc.Write(x.AsSpan(p, n));
                p += n;
            }

            enc.Complete();
        }

        Assert.Equal(whole, ms.ToArray());
    }

    [Fact]
    public void EncoderOutputDoesNotDependOnTheProcessingWindow()
    {
        float[] x = TinyModels.Voice(4.0);
        int[][] a = VqcDocument.Read(new MemoryStream(Encode(x, options: new SpeechEncodeOptions { WindowFrames = 250 })), _ => Model.Priors).Tokens;
        int[][] b = VqcDocument.Read(new MemoryStream(Encode(x, options: new SpeechEncodeOptions { WindowFrames = 9 })), _ => Model.Priors).Tokens;
        int same = 0, total = 0;
        for (int l = 0; l < a.Length; l++)
        {
            total += a[l].Length;
            same += a[l].Zip(b[l]).Count(p => p.First == p.Second);
        }

        // Identical up to float rounding, which can flip a near-tie between two codewords.
        Assert.True(same >= total * 0.98, $"{same} of {total} tokens agree");
    }

    [Fact]
    public void WindowedDecodingMatchesDecodingEveryFrameAtOnce() => AssertWindowedMatchesWhole(Model);

    [Fact]
    public void WithVoiceParametersWindowedDecodingMatchesDecodingEveryFrameAtOnce()
    {
        // The harmonic synthesis carries its phase from window to window, its gain gate depends on the frame alone and
        // the envelope corrections (format 1.6, after the synthesis) see the neighbouring windows' output, so where the
        // decode windows fall does not change the output.
        AssertVoicedWindowsMatchWhole(new SpeechEncodeOptions(), 6);
    }

    [Fact]
    public void WithHalfFrameCorrectionsWindowedDecodingMatchesDecodingEveryFrameAtOnce() =>
        AssertVoicedWindowsMatchWhole(new SpeechEncodeOptions { EnvelopeHalfFrames = true }, 7);

    private static void AssertVoicedWindowsMatchWhole(SpeechEncodeOptions options, int minor)
    {
        float[] x = TinyModels.Voice(12.0);
        var ms = new MemoryStream();
        SpeechCodec.Encode(Model, x, 16000, ms, options);
        byte[] file = ms.ToArray();
        Assert.Equal(minor, file[9]);
        (float[] y, _) = SpeechCodec.Decode(Model, new MemoryStream(file));
        VqcDocument doc = VqcDocument.Read(new MemoryStream(file), _ => Model.Priors);
        Assert.NotNull(doc.Voices);
        byte[] pitch = [.. doc.Voices!.SelectMany(v => v!.Pitch.ToArray())];
        int[] gains = [.. doc.Voices!.SelectMany((v, s) => Enumerable.Repeat(v!.GainQuarterDb, doc.Header.TokensInSegment(0, s)))];
        Assert.Contains(pitch, c => c != 0);
        double[]?[] envelope = [.. doc.Voices!.SelectMany(v => Enumerable.Range(0, v!.Pitch.Length).Select(f => SpectralEnvelope.Decibels(v.Envelope, f)))];
        Assert.Contains(envelope, e => e is not null);
        float[]? phase = null;
        float[] direct = SpeechCodec.DecodeWindow(Model, doc.Tokens, 0, doc.Tokens[0].Length, ref phase, new VoiceWindow(pitch, gains, new HarmonicSynthesizer(Model.Config), EnvelopeAfter: envelope));
        double maxDiff = 0, peak = 0;
        for (int i = 0; i < y.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(y[i] - direct[i]));
            peak = Math.Max(peak, Math.Abs(direct[i]));
        }

        Assert.True(maxDiff < 0.01 * peak, $"max difference {maxDiff} at peak {peak}");
    }

    [Fact]
    public void PhaseContinuousModelCarriesItsPhaseAcrossWindows()
    {
        // A phase-continuous (v2) tiny model with a non-zero phase head: windows joined by the carried phase
        // must give the whole-signal output, or every window boundary would click.
        using SpeechModel continuous = TinyModels.LoadSpeech(TinyModels.SpeechConfig with { CumulativePhase = true });
        AssertWindowedMatchesWhole(continuous);
    }

    private static void AssertWindowedMatchesWhole(SpeechModel model)
    {
        float[] x = TinyModels.Voice(12.0);
        var ms = new MemoryStream();
        SpeechCodec.Encode(model, x, 16000, ms, new SpeechEncodeOptions { Voice = false });
        byte[] file = ms.ToArray();
        (float[] y, _) = SpeechCodec.Decode(model, new MemoryStream(file));
        int[][] tokens = VqcDocument.Read(new MemoryStream(file), _ => model.Priors).Tokens;
        float[]? phase = null;
        float[] direct = SpeechCodec.DecodeWindow(model, tokens, 0, tokens[0].Length, ref phase);
        Assert.Equal(model.Config.CumulativePhase, phase is not null);
        double maxDiff = 0;
        for (int i = 0; i < y.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(y[i] - direct[i]));
        }

        Assert.True(maxDiff < 1e-3, $"max difference {maxDiff}");
    }

    [Fact]
    public void PushDecoderFedArbitraryPiecesMatchesThePullDecoder()
    {
        float[] x = TinyModels.Voice(5.5);
        byte[] file = Encode(x, options: new SpeechEncodeOptions { SegmentFrames = 40 });
        (float[] pulled, _) = SpeechCodec.Decode(Model, new MemoryStream(file));
        var pushed = new List<float>();
        var decoder = new SpeechDecoder(Model);
        var rng = new Random(9);
        int firstAudioAt = -1;
        for (int p = 0; p < file.Length;)
        {
            int n = Math.Min(file.Length - p, rng.Next(1, 97));
            decoder.Push(file.AsSpan(p, n), pushed);
            p += n;
            if (firstAudioAt < 0 && pushed.Count > 0)
            {
                firstAudioAt = p;
            }
        }

        decoder.Finish(pushed);
        Assert.Equal(pulled, pushed.ToArray());
        Assert.InRange(firstAudioAt, 1, file.Length - 1); // audio came out before the whole file arrived
    }

    [Fact]
    public void SeekingToASegmentDecodesTheRestOfTheFile()
    {
        float[] x = TinyModels.Voice(6.0);
        byte[] file = Encode(x, options: new SpeechEncodeOptions { SegmentFrames = 50, Voice = false });
        (float[] all, _) = SpeechCodec.Decode(Model, new MemoryStream(file));
        using var decoder = new SpeechDecoder(Model, new MemoryStream(file));
        decoder.SeekToSegment(2);
        Assert.Equal(2 * 50 * 320, decoder.PositionSamples);
        var rest = new float[all.Length - decoder.PositionSamples];
        int got = 0, n;
        while ((n = decoder.Read(rest.AsSpan(got))) > 0)
        {
            got += n;
        }

        Assert.Equal(rest.Length, got);

        // Past the first context width after the seek point the samples are those of a full decode.
        int skip = Model.Config.ContextFrames * 320;
        for (int i = skip; i < rest.Length; i += 97)
        {
            Assert.True(Math.Abs(rest[i] - all[decoder.PositionSamples + i]) < 1e-3, $"sample {i}");
        }
    }

    [Fact]
    public void WithVoiceParametersSeekingGivesTheWholeDecodeFromTheNextVoicingOnset()
    {
        // A signal voiced in bursts: the harmonic phase restarts at each onset, so a seek loses nothing after the next one.
        float[] x = TinyModels.Voice(6.0);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] *= (i / 4000) % 3 == 2 ? 0.001f : 1f;
        }

        byte[] file = Encode(x, options: new SpeechEncodeOptions { SegmentFrames = 50 });
        (float[] all, _) = SpeechCodec.Decode(Model, new MemoryStream(file));
        VqcDocument doc = VqcDocument.Read(new MemoryStream(file), _ => Model.Priors);
        byte[] pitch = [.. doc.Voices!.SelectMany(v => v!.Pitch.ToArray())];
        using var decoder = new SpeechDecoder(Model, new MemoryStream(file));
        decoder.SeekToSegment(2);
        var rest = new float[all.Length - decoder.PositionSamples];
        int got = 0, n;
        while ((n = decoder.Read(rest.AsSpan(got))) > 0)
        {
            got += n;
        }

        int onset = Enumerable.Range(100 + Model.Config.ContextFrames, pitch.Length - 101 - Model.Config.ContextFrames).First(j => pitch[j - 1] == 0 && pitch[j] != 0);
        int from = ((onset - 100) * 320) - 160;
        Assert.True(from < rest.Length - 16000, $"onset at frame {onset}");
        for (int i = from; i < rest.Length; i += 97)
        {
            Assert.True(Math.Abs(rest[i] - all[decoder.PositionSamples + i]) < 1e-3, $"sample {i} (onset frame {onset})");
        }
    }

    [Fact]
    public void OtherSampleRatesAreResampledAndRestoredOnRequest()
    {
        float[] x16 = TinyModels.Voice(2.0);
        float[] x = Resampler.Resample(x16, 16000, 44100);
        byte[] file = Encode(x, 44100);
        VqcHeader h = VqcProbe.ReadHeader(file).Header;
        Assert.Equal((44100, (long)x.Length), (h.SampleRate, h.SampleCount));
        (float[] y16, int r16) = SpeechCodec.Decode(Model, new MemoryStream(file));
        Assert.Equal((16000, Resampler.OutputLength(x.Length, 44100, 16000)), (r16, (long)y16.Length));
        (float[] y, int r) = SpeechCodec.Decode(Model, new MemoryStream(file), new SpeechDecodeOptions { OriginalRate = true });
        Assert.Equal((44100, x.Length), (r, y.Length));
    }

    [Fact]
    public void ASmallerSynthesisWindowGivesTheSameSpeech()
    {
        float[] x = TinyModels.Voice(4.0);
        byte[] file = Encode(x);
        (float[] y, _) = SpeechCodec.Decode(Model, new MemoryStream(file));
        (float[] small, _) = SpeechCodec.Decode(Model, new MemoryStream(file), new SpeechDecodeOptions { WindowFrames = 20 });
        Assert.Equal(y.Length, small.Length);
        double error = 0, energy = 0;
        for (int i = 0; i < y.Length; i++)
        {
            error += (y[i] - small[i]) * (double)(y[i] - small[i]);
            energy += y[i] * (double)y[i];
        }

        // Windows of 20 frames recompute their context at 10 times as many seams: the speech is the same within
        // what the context's reach leaves (more than 40 dB below the signal).
        Assert.True(error < energy * 1e-4, $"error/energy {error / energy:E2}");
        Assert.Throws<ArgumentOutOfRangeException>(() => new SpeechDecodeOptions { WindowFrames = 5 });
    }

    [Fact]
    public void RateTargetKeepsTheMostLevelsThatFit()
    {
        float[] x = TinyModels.Voice(4.0);
        long[] sizes = Enumerable.Range(1, 4).Select(n => (long)Encode(x, options: new SpeechEncodeOptions { Levels = n }).Length).ToArray();
        double seconds = x.Length / 16000.0;
        double target = ((sizes[2] + sizes[3]) / 2.0) * 8 / seconds / 1000;
        var ms = new MemoryStream();
        SpeechEncodeResult r = SpeechCodec.Encode(Model, x, 16000, ms, new SpeechEncodeOptions { TargetKbps = target });
        Assert.Equal(3, r.Levels);
        Assert.True(r.Kbps <= target);
        Assert.Equal(sizes[2], ms.Length);
    }

    [Fact]
    public void WithTwoLevelsRateControlTriesCoarserCorrectionsBeforeOneLevel()
    {
        float[] x = TinyModels.Voice(4.0);
        double seconds = x.Length / 16000.0;
        long Size(int levels, int step) => Encode(x, options: new SpeechEncodeOptions { Levels = levels, EnvelopeStepQuarterDb = step }).Length;
        long twoCoarse = Size(2, 18), two = Size(2, 12);
        Assert.True(twoCoarse < two, $"sizes {twoCoarse}, {two}");
        double Kbps(double bytes) => bytes * 8 / seconds / 1000;

        // Two levels with 3 dB corrections are over the target, two with 4.5 dB fit: those, not one level.
        var ms = new MemoryStream();
        SpeechEncodeResult r = SpeechCodec.Encode(Model, x, 16000, ms, new SpeechEncodeOptions { TargetKbps = Kbps((twoCoarse + two) / 2.0) });
        Assert.Equal((2, twoCoarse), (r.Levels, ms.Length));
        VqcDocument doc = VqcDocument.Read(new MemoryStream(ms.ToArray()), _ => Model.Priors);
        Assert.All(doc.Voices!, v => Assert.Equal(18, v!.Envelope!.StepQuarterDb));

        // Neither fits: one level.
        double target = Kbps(twoCoarse - 1);
        r = SpeechCodec.Encode(Model, x, 16000, new MemoryStream(), new SpeechEncodeOptions { TargetKbps = target });
        Assert.Equal(1, r.Levels);
        Assert.True(r.Kbps <= target, $"{r.Kbps} kbps over {target}");
    }

    [Fact]
    public void AtHighTargetsRateControlSendsHalfFrameCorrectionsWithTheMostLevelsThatFit()
    {
        float[] x = TinyModels.Voice(4.0);
        double seconds = x.Length / 16000.0;
        double Kbps(long bytes) => bytes * 8 / seconds / 1000;
        long Size(int levels) => Encode(x, options: new SpeechEncodeOptions { Levels = levels, EnvelopeHalfFrames = true }).Length;
        long two = Size(2), three = Size(3);
        double target = Math.Max(SpeechCodec.HalfFrameMinKbps, (Kbps(two) + Kbps(three)) / 2);
        var ms = new MemoryStream();
        SpeechEncodeResult r = SpeechCodec.Encode(Model, x, 16000, ms, new SpeechEncodeOptions { TargetKbps = target });
        Assert.True(r.Kbps <= target, $"{r.Kbps} kbps over {target}");
        byte[] file = ms.ToArray();
        Assert.Equal(7, file[9]);
        VqcDocument doc = VqcDocument.Read(new MemoryStream(file), _ => Model.Priors);
        Assert.Contains(doc.Voices!, v => v?.Envelope?.SubFrames == 2);
        Assert.Equal(r.Levels, Enumerable.Range(1, Model.Config.Levels).Last(n => n == 1 || Kbps(Size(n)) <= target));

        // Under the threshold: 20 ms corrections (format 1.6), as before.
        double low = SpeechCodec.HalfFrameMinKbps - 0.1;
        var lowFile = new MemoryStream();
        SpeechCodec.Encode(Model, x, 16000, lowFile, new SpeechEncodeOptions { TargetKbps = low });
        Assert.Equal(6, lowFile.ToArray()[9]);
    }

    [Fact]
    public void ARateTargetBelowOneLevelWithCorrectionsGetsCoarserCorrectionsOrNone()
    {
        float[] x = TinyModels.Voice(2.0);
        double seconds = x.Length / 16000.0;
        long one = Encode(x, options: new SpeechEncodeOptions { Levels = 1 }).Length;
        long plain = Encode(x, options: new SpeechEncodeOptions { Levels = 1, Envelope = false }).Length;
        Assert.True(plain < one);
        foreach (long bytes in new[] { one - 1, plain })
        {
            double target = bytes * 8 / seconds / 1000;
            var ms = new MemoryStream();
            SpeechEncodeResult r = SpeechCodec.Encode(Model, x, 16000, ms, new SpeechEncodeOptions { TargetKbps = target });
            Assert.True(r.Kbps <= target, $"{r.Kbps} kbps over {target}");
            VqcDocument doc = VqcDocument.Read(new MemoryStream(ms.ToArray()), _ => Model.Priors);
            int[] steps = [.. doc.Voices!.Select(v => v?.Envelope?.StepQuarterDb ?? 0).Distinct()];
            Assert.True(steps.All(s => s is 0 or 18 or 24), $"envelope steps {string.Join(",", steps)}");
        }
    }

    [Fact]
    public void BadAudioAndMisuseAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Encode([]));
        Assert.Throws<ArgumentException>(() => Encode([0.1f, float.NaN, 0.2f]));
        Assert.Throws<ArgumentException>(() => Encode(new float[100], rate: 0));
        using var enc = new SpeechEncoder(Model, new MemoryStream(), new SpeechSource(16000, 1000));
        enc.Write(new float[600]);
        Assert.Throws<InvalidOperationException>(() => enc.Write(new float[600]));
        Assert.Throws<InvalidOperationException>(() => enc.Complete());
        Assert.Throws<ArgumentException>(() => Encode(new float[1000], options: new SpeechEncodeOptions { Levels = 5 }));
    }

    [Fact]
    public void TruncatedOrForeignFilesAreRejected()
    {
        byte[] file = Encode(TinyModels.Voice(3.0));
        byte[] cut = file[..(file.Length * 2 / 3)];
        Assert.Throws<VqcFormatException>(() => SpeechCodec.Decode(Model, new MemoryStream(cut)));
        var decoder = new SpeechDecoder(Model);
        var sink = new List<float>();
        decoder.Push(cut, sink);
        Assert.Throws<VqcFormatException>(() => decoder.Finish(sink));
        using SpeechModel other = OtherModel();
        Assert.Throws<ModelMismatchException>(() => SpeechCodec.Decode(other, new MemoryStream(file)));
    }

    [Fact]
    public void StreamingResamplerGivesTheWholeSignalResult()
    {
        float[] x = TinyModels.Voice(0.5, 22050);
        float[] whole = Resampler.Resample(x, 22050, 16000);
        var r = new Resampler(22050, 16000);
        var streamed = new List<float>();
        for (int p = 0; p < x.Length; p += 777)
        {
            r.Push(x.AsSpan(p, Math.Min(777, x.Length - p)), streamed);
        }

        r.Flush(streamed);
        Assert.Equal(whole, streamed.ToArray());
    }

    private static SpeechModel OtherModel()
    {
        TorchSharp.torch.manual_seed(99);
        using var net = new VqCodec.Codec.Models.SpeechVqVae(TinyModels.SpeechConfig);
        return SpeechModel.Load(new MemoryStream(SpeechModel.Bundle(net, "tiny-speech", null, [])));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(320)]
    [InlineData(321)]
    [InlineData(700)]
    public void VeryShortSpeechEncodesAndDecodes(int samples)
    {
        float[] x = TinyModels.Voice(1.0)[..samples];
        (float[] y, int rate) = SpeechCodec.Decode(Model, new MemoryStream(Encode(x)));
        Assert.Equal(16000, rate);
        Assert.Equal(samples, y.Length);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void EveryCutOrFlipInTheTailAfterTheLastSegmentIsRefused()
    {
        // The seek table and end chunk follow the last segment: a decoder that stops at the header's sample count
        // would never see them.
        byte[] file = Encode(TinyModels.Voice(2.5));
        for (int cut = 1; cut <= 60; cut++)
        {
            Assert.Throws<VqcFormatException>(() => SpeechCodec.Decode(Model, new MemoryStream(file[..^cut])));
        }

        for (int bit = (file.Length - 60) * 8; bit < file.Length * 8; bit++)
        {
            byte[] bad = (byte[])file.Clone();
            bad[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.Throws<VqcFormatException>(() => SpeechCodec.Decode(Model, new MemoryStream(bad)));
        }
    }

    [Fact]
    public void DecodeRefusesMoreSamplesThanTheCallerAllows()
    {
        byte[] file = Encode(TinyModels.Voice(1.0));
        Assert.Equal(16000, SpeechCodec.Decode(Model, new MemoryStream(file), new SpeechDecodeOptions { MaxSamples = 16000 }).Samples.Length);
        Assert.Throws<VqcFormatException>(() => SpeechCodec.Decode(Model, new MemoryStream(file), new SpeechDecodeOptions { MaxSamples = 15999 }));
    }
}
