using VqCodec.Codec.Models;
using VqCodec.Codec.Speech;
using VqCodec.Container;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Tests;

/// <summary>The speech verbs end to end through the real CLI, with a small randomly initialised model file.</summary>
public class SpeechCliTests
{
    private static readonly Lazy<string> ModelFile = new(() =>
    {
        TorchSharp.torch.manual_seed(3);
        var config = new SpeechModelConfig { FineWidth = 16, CoarseWidth = 24, FineDilations = [1], CoarseDilations = [1, 3], LatentDim = 8, Levels = 4, CodebookSize = 64 };
        using var net = new SpeechVqVae(config);
        string path = Path.Combine(CliRunner.TempDir(), "tiny-speech.vqm");
        File.WriteAllBytes(path, SpeechModel.Bundle(net, "tiny-speech", null, []));
        return path;
    });

    private static float[] Tone(double seconds, int rate)
    {
        var x = new float[(int)(seconds * rate)];
        for (int i = 0; i < x.Length; i++)
        {
            double t = (double)i / rate;
            x[i] = (float)(0.3 * Math.Sin(2 * Math.PI * 180 * t) * (0.6 + (0.4 * Math.Sin(2 * Math.PI * 2 * t))));
        }

        return x;
    }

    private static string WriteWav(string dir, string name, float[] x, int rate)
    {
        string path = Path.Combine(dir, name);
        using var f = File.Create(path);
        WavWriter.WritePcm16(f, x, rate);
        return path;
    }

    [Fact]
    public void EncodeInfoDecodeRoundTripAtTheModelRateAndTheOriginalRate()
    {
        string dir = CliRunner.TempDir();
        string wav = WriteWav(dir, "talk.wav", Tone(2.5, 22050), 22050);
        string vqc = Path.Combine(dir, "talk.vqc");
        var (code, _, err) = CliRunner.Run(dir, "encode", wav, "-o", vqc, "--levels", "3", "--model", ModelFile.Value);
        Assert.True(code == 0, err);
        Assert.Contains("3 levels", err);
        VqcHeader h = VqcProbe.ReadHeader(File.ReadAllBytes(vqc)).Header;
        Assert.Equal((MediaKind.Speech, 22050, 2.5 * 22050, 3), (h.Kind, h.SampleRate, (double)h.SampleCount, h.Levels.Length));

        (code, string info, _) = CliRunner.Run(dir, "info", vqc);
        Assert.Equal(0, code);
        Assert.Contains("speech 22050 Hz", info);

        string out16 = Path.Combine(dir, "out16.wav");
        (code, _, err) = CliRunner.Run(dir, "decode", vqc, "-o", out16, "--model", ModelFile.Value);
        Assert.True(code == 0, err);
        using (var r = new WavReader(File.OpenRead(out16), out16))
        {
            Assert.Equal((16000, 40000L), (r.SampleRate, r.FrameCount));
        }

        string outOrig = Path.Combine(dir, "out-orig.wav");
        (code, _, err) = CliRunner.Run(dir, "decode", vqc, "-o", outOrig, "--original-rate", "--model", ModelFile.Value);
        Assert.True(code == 0, err);
        using (var r = new WavReader(File.OpenRead(outOrig), outOrig))
        {
            Assert.Equal((22050, (long)(2.5 * 22050)), (r.SampleRate, r.FrameCount));
        }
    }

    [Fact]
    public void VoiceParametersAreWrittenByDefaultShownByInfoAndLeftOutOnRequest()
    {
        string dir = CliRunner.TempDir();
        string wav = WriteWav(dir, "talk.wav", Tone(2.5, 16000), 16000);
        var (code, _, err) = CliRunner.Run(dir, "encode", wav, "-o", "e.vqc", "--levels", "3", "--model", ModelFile.Value);
        Assert.True(code == 0, err);
        byte[] corrected = File.ReadAllBytes(Path.Combine(dir, "e.vqc"));
        Assert.Equal(6, corrected[9]);
        (code, string info, _) = CliRunner.Run(dir, "info", "e.vqc");
        Assert.Equal(0, code);
        Assert.Matches(@"envelope: +1 of 1 segments, \d+ bytes, \d+ of 125 frames corrected, step 3 dB, applied after synthesis", info);

        (code, _, err) = CliRunner.Run(dir, "encode", wav, "-o", "v.vqc", "--levels", "3", "--no-envelope", "--model", ModelFile.Value);
        Assert.True(code == 0, err);
        byte[] voiced = File.ReadAllBytes(Path.Combine(dir, "v.vqc"));
        Assert.True(voiced[9] == 4 && voiced.Length < corrected.Length, $"format 1.{voiced[9]}, {voiced.Length} vs {corrected.Length} bytes");
        (code, info, _) = CliRunner.Run(dir, "info", "v.vqc");
        Assert.Equal(0, code);
        Assert.Matches(@"voice: +1 of 1 segments, \d+ bytes, \d+ of 125 frames voiced \(median F0 18\d Hz\)", info);
        Assert.Contains("envelope:  none", info);

        (code, _, err) = CliRunner.Run(dir, "encode", wav, "-o", "p.vqc", "--levels", "3", "--no-voice", "--model", ModelFile.Value);
        Assert.True(code == 0, err);
        byte[] plain = File.ReadAllBytes(Path.Combine(dir, "p.vqc"));
        Assert.True(plain[9] < 4 && plain.Length < voiced.Length, $"format 1.{plain[9]}, {plain.Length} vs {voiced.Length} bytes");
        (code, info, _) = CliRunner.Run(dir, "info", "p.vqc");
        Assert.Contains("voice:     none", info);

        string image = Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.png");
        (code, _, err) = CliRunner.Run(dir, "encode", image, "-o", "i.vqc", "--no-voice");
        Assert.Equal(2, code);
        Assert.Contains("--no-voice is a speech option", err);
        (code, _, err) = CliRunner.Run(dir, "encode", image, "-o", "i.vqc", "--no-envelope");
        Assert.Equal(2, code);
        Assert.Contains("--no-envelope is a speech option", err);
    }

    [Fact]
    public void SegmentSetsTheSegmentLengthAndIsCheckedAsASpeechOption()
    {
        string dir = CliRunner.TempDir();
        string wav = WriteWav(dir, "talk.wav", Tone(2.5, 16000), 16000);
        var (code, _, err) = CliRunner.Run(dir, "encode", wav, "-o", "s1.vqc", "--levels", "2", "--segment", "1", "--model", ModelFile.Value);
        Assert.True(code == 0, err);
        (code, string info, _) = CliRunner.Run(dir, "info", "s1.vqc");
        Assert.Equal(0, code);
        Assert.Matches(@"voice: +3 of 3 segments", info);
        (code, _, err) = CliRunner.Run(dir, "encode", wav, "-o", "s5.vqc", "--levels", "2", "--model", ModelFile.Value);
        Assert.True(code == 0, err);
        Assert.True(new FileInfo(Path.Combine(dir, "s5.vqc")).Length < new FileInfo(Path.Combine(dir, "s1.vqc")).Length);

        (code, _, err) = CliRunner.Run(dir, "encode", wav, "-o", "s0.vqc", "--segment", "0", "--model", ModelFile.Value);
        Assert.Equal(2, code);
        Assert.Contains("--segment must lie within", err);
        Assert.False(File.Exists(Path.Combine(dir, "s0.vqc")));
        string image = Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.png");
        (code, _, err) = CliRunner.Run(dir, "encode", image, "-o", "i.vqc", "--segment", "1");
        Assert.Equal(2, code);
        Assert.Contains("--segment is a speech option", err);
    }

    [Fact]
    public void Envelope10msWritesHalfFrameCorrectionsAndIsCheckedAsASpeechOption()
    {
        string dir = CliRunner.TempDir();
        string wav = WriteWav(dir, "talk.wav", VqCodec.Fuzz.TinyModels.Voice(2.5), 16000);
        var (code, _, err) = CliRunner.Run(dir, "encode", wav, "-o", "h.vqc", "--levels", "2", "--envelope-10ms", "--model", ModelFile.Value);
        Assert.True(code == 0, err);
        byte[] half = File.ReadAllBytes(Path.Combine(dir, "h.vqc"));
        Assert.Equal(7, half[9]);
        (code, _, err) = CliRunner.Run(dir, "decode", "h.vqc", "-o", "h.wav", "--model", ModelFile.Value);
        Assert.True(code == 0, err);

        (code, _, err) = CliRunner.Run(dir, "encode", wav, "-o", "n.vqc", "--envelope-10ms", "--no-envelope", "--model", ModelFile.Value);
        Assert.Equal(2, code);
        Assert.Contains("--envelope-10ms is a speech option", err);
        Assert.False(File.Exists(Path.Combine(dir, "n.vqc")));
        string image = Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.png");
        (code, _, err) = CliRunner.Run(dir, "encode", image, "-o", "i.vqc", "--envelope-10ms");
        Assert.Equal(2, code);
        Assert.Contains("--envelope-10ms is a speech option", err);
    }

    [Fact]
    public void KbpsTargetKeepsTheFileUnderTheRate()
    {
        string dir = CliRunner.TempDir();
        string wav = WriteWav(dir, "a.wav", Tone(4, 16000), 16000);
        string vqc = Path.Combine(dir, "a.vqc");
        var (code, _, err) = CliRunner.Run(dir, "encode", wav, "-o", vqc, "--kbps", "1.2", "--model", ModelFile.Value);
        Assert.True(code == 0, err);
        double kbps = new FileInfo(vqc).Length * 8 / 4.0 / 1000;
        Assert.True(kbps <= 1.2, $"{kbps} kbps");
        Assert.InRange(VqcProbe.ReadHeader(File.ReadAllBytes(vqc)).Header.Levels.Length, 1, 2);
    }

    [Fact]
    public void BadWavInputsFailCleanlyAndWriteNothing()
    {
        string dir = CliRunner.TempDir();
        string notWav = Path.Combine(dir, "not.wav");
        File.WriteAllText(notWav, "this is not audio at all, just text");
        string full = WriteWav(dir, "full.wav", Tone(1, 16000), 16000);
        string truncated = Path.Combine(dir, "truncated.wav");
        File.WriteAllBytes(truncated, File.ReadAllBytes(full)[..2000]);
        string empty = WriteWav(dir, "empty.wav", [], 16000);
        string nan = Path.Combine(dir, "nan.wav");
        File.WriteAllBytes(nan, FloatWav([0.1f, float.NaN, 0.2f]));
        foreach ((string input, string expect) in new[] { (notWav, "WAV"), (truncated, "truncated"), (empty, "no audio"), (nan, "NaN") })
        {
            string output = Path.Combine(dir, Path.GetFileNameWithoutExtension(input) + ".vqc");
            var (code, _, err) = CliRunner.Run(dir, "encode", input, "-o", output, "--model", ModelFile.Value);
            Assert.Equal(3, code);
            Assert.Contains(expect, err, StringComparison.OrdinalIgnoreCase);
            Assert.False(File.Exists(output));
            Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories).Concat(Directory.GetFiles(dir, ".*.tmp")));
        }
    }

    [Fact]
    public void ExistingOutputsAreKeptWithoutForce()
    {
        string dir = CliRunner.TempDir();
        string wav = WriteWav(dir, "a.wav", Tone(1, 16000), 16000);
        string vqc = Path.Combine(dir, "a.vqc");
        File.WriteAllText(vqc, "keep me");
        var (code, _, _) = CliRunner.Run(dir, "encode", wav, "-o", vqc, "--model", ModelFile.Value);
        Assert.Equal(5, code);
        Assert.Equal("keep me", File.ReadAllText(vqc));
        (code, _, string err) = CliRunner.Run(dir, "encode", wav, "-o", vqc, "--force", "--model", ModelFile.Value);
        Assert.True(code == 0, err);
        Assert.Equal(MediaKind.Speech, VqcProbe.ReadHeader(File.ReadAllBytes(vqc)).Header.Kind);
    }

    [Theory]
    [InlineData(1, 24, 2, 48000)]
    [InlineData(3, 64, 1, 8000)]
    [InlineData(1, 8, 1, 11025)]
    public void AnyPcmOrFloatLayoutIsDownmixedAndResampled(int tag, int bits, int channels, int rate)
    {
        string dir = CliRunner.TempDir();
        float[] x = Tone(1.5, rate);
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        int block = channels * bits / 8;
        w.Write("RIFF"u8);
        w.Write(36 + (x.Length * block));
        w.Write("WAVEfmt "u8);
        w.Write(16);
        w.Write((ushort)tag);
        w.Write((ushort)channels);
        w.Write(rate);
        w.Write(rate * block);
        w.Write((ushort)block);
        w.Write((ushort)bits);
        w.Write("data"u8);
        w.Write(x.Length * block);
        foreach (float v in x)
        {
            for (int c = 0; c < channels; c++)
            {
                switch (bits)
                {
                    case 8: w.Write((byte)(128 + (int)Math.Round(v * 127))); break;
                    case 24: int i24 = (int)Math.Round(v * 8388607); w.Write((byte)i24); w.Write((byte)(i24 >> 8)); w.Write((byte)(i24 >> 16)); break;
                    default: w.Write((double)v); break;
                }
            }
        }

        string wav = Path.Combine(dir, "in.wav");
        File.WriteAllBytes(wav, ms.ToArray());
        string vqc = Path.Combine(dir, "in.vqc");
        var (code, _, err) = CliRunner.Run(dir, "encode", wav, "-o", vqc, "--model", ModelFile.Value);
        Assert.True(code == 0, err);
        VqcHeader h = VqcProbe.ReadHeader(File.ReadAllBytes(vqc)).Header;
        Assert.Equal((rate, (long)x.Length, Math.Min(bits, 32)), (h.SampleRate, h.SampleCount, h.BitsPerSample));
        string back = Path.Combine(dir, "back.wav");
        (code, _, err) = CliRunner.Run(dir, "decode", vqc, "-o", back, "--original-rate", "--model", ModelFile.Value);
        Assert.True(code == 0, err);
        using var r = new WavReader(File.OpenRead(back), back);
        Assert.Equal((rate, (long)x.Length, 1), (r.SampleRate, r.FrameCount, r.Channels));
    }

    private static byte[] FloatWav(float[] samples)
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write("RIFF"u8);
        w.Write(36 + (samples.Length * 4));
        w.Write("WAVEfmt "u8);
        w.Write(16);
        w.Write((ushort)3);
        w.Write((ushort)1);
        w.Write(16000);
        w.Write(64000);
        w.Write((ushort)4);
        w.Write((ushort)32);
        w.Write("data"u8);
        w.Write(samples.Length * 4);
        foreach (float s in samples)
        {
            w.Write(s);
        }

        return ms.ToArray();
    }

    [Fact]
    public void TonesGetANotSpeechWarningAndAnUnreachableRateAWarning()
    {
        string dir = CliRunner.TempDir();
        var stereo = new float[44100 * 3];
        for (int i = 0; i < stereo.Length; i++)
        {
            stereo[i] = (float)(0.3 * (Math.Sin(2 * Math.PI * 440 * i / 44100) + Math.Sin(2 * Math.PI * 660 * i / 44100)));
        }

        string tones = WriteWav(dir, "tones.wav", stereo, 44100);
        var (code, _, err) = CliRunner.Run(dir, "encode", tones, "-o", "t.vqc", "--model", ModelFile.Value);
        Assert.Equal(0, code);
        Assert.Contains("does not look like speech", err);

        string voice = WriteWav(dir, "voice.wav", VqCodec.Fuzz.TinyModels.Voice(2.0), 16000);
        (code, _, err) = CliRunner.Run(dir, "encode", voice, "-o", "v.vqc", "--model", ModelFile.Value, "--kbps", "0.2");
        Assert.Equal(0, code);
        Assert.Contains("below the lowest rate", err);
        Assert.DoesNotContain("does not look like speech", err);
        Assert.Single(VqcProbe.ReadHeader(File.ReadAllBytes(Path.Combine(dir, "v.vqc"))).Header.Levels);
    }

    [Fact]
    public void BenchSpeechReportsViSqolBesideTheOtherMetrics()
    {
        string dir = CliRunner.TempDir();
        string data = Path.Combine(dir, "set");
        Directory.CreateDirectory(data);
        WriteWav(data, "voice.wav", VqCodec.Fuzz.TinyModels.Voice(3.0), 16000);
        string outDir = Path.Combine(dir, "out");
        var (code, report, err) = CliRunner.Run(dir, "bench", "speech", data, "--codecs", "vqc", "--levels", "2", "--kbps", "3.2", "--model", ModelFile.Value, "-o", outDir);
        Assert.True(code == 0, err);
        Assert.Contains("| ViSQOL |", report);
        string[] lines = File.ReadAllLines(Path.Combine(outDir, "measurements.csv"));
        int column = Array.IndexOf(lines[0].Split(','), "visqol_mos");
        Assert.True(column > 0, lines[0]);
        Assert.Equal(3, lines.Length);
        foreach (string line in lines.Skip(1))
        {
            double mos = double.Parse(line.Split(',')[column], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(mos, 1, 5);
        }
    }
}
