using System.Diagnostics;
using VqCodec.Codec.Audio;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Reference;

/// <summary>
/// Classical speech codecs through their Debian command-line tools: Opus (opusenc/opusdec, Ogg file,
/// 16 kHz in and out) and Codec2 (c2enc/c2dec, raw 8 kHz 16-bit PCM, resampled by the project's
/// band-limited resampler). The rate is the total encoded file size over the duration.
/// </summary>
internal sealed record ReferenceSpeechCodec(string Name, string Setting, string Tool)
{
    public static IReadOnlyList<ReferenceSpeechCodec> All { get; } =
    [
        new("opus", "6", "opusenc"), new("opus", "8", "opusenc"), new("opus", "12", "opusenc"),
        new("codec2", "700C", "c2enc"), new("codec2", "1600", "c2enc"), new("codec2", "3200", "c2enc"),
    ];

    public static bool Installed(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(d => File.Exists(Path.Combine(d, tool)));

    /// <summary>Encodes and decodes 16 kHz mono samples; returns the encoded size and the decoded 16 kHz signal.</summary>
    public (long Bytes, float[] Decoded, double EncodeSeconds, double DecodeSeconds) Run(float[] samples16k, string workDir)
    {
        string id = Guid.NewGuid().ToString("N");
        string wav = Path.Combine(workDir, id + ".wav");
        var clock = new Stopwatch();
        try
        {
            if (Name == "opus")
            {
                string opus = Path.Combine(workDir, id + ".opus"), back = Path.Combine(workDir, id + ".out.wav");
                using (var f = File.Create(wav))
                {
                    WavWriter.WritePcm16(f, samples16k, 16000);
                }

                clock.Start();
                Exec("opusenc", "--quiet", "--bitrate", Setting, "--comp", "10", wav, opus);
                double enc = clock.Elapsed.TotalSeconds;
                clock.Restart();
                Exec("opusdec", "--quiet", "--rate", "16000", opus, back);
                double dec = clock.Elapsed.TotalSeconds;
                float[] decoded = WavReader.ReadFile(back).Samples;
                return (new FileInfo(opus).Length, decoded, enc, dec);
            }

            string raw = Path.Combine(workDir, id + ".raw"), bits = Path.Combine(workDir, id + ".c2"), outRaw = Path.Combine(workDir, id + ".out.raw");
            float[] at8k = Resampler.Resample(samples16k, 16000, 8000);
            File.WriteAllBytes(raw, ToPcm16(at8k));
            clock.Start();
            Exec("c2enc", Setting, raw, bits);
            double e = clock.Elapsed.TotalSeconds;
            clock.Restart();
            Exec("c2dec", Setting, bits, outRaw);
            double d = clock.Elapsed.TotalSeconds;
            float[] back8k = AudioFiles.FromPcm16(File.ReadAllBytes(outRaw));
            return (new FileInfo(bits).Length, Resampler.Resample(back8k, 8000, 16000), e, d);
        }
        finally
        {
            foreach (string f in Directory.GetFiles(workDir, id + "*"))
            {
                File.Delete(f);
            }
        }
    }

    private static void Exec(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new CliException($"cannot start {tool}");
        Task<string> err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new CliException($"{tool} failed (exit {p.ExitCode}): {err.Result.Split('\n')[0]}");
        }
    }

    private static byte[] ToPcm16(float[] x)
    {
        var b = new byte[x.Length * 2];
        for (int i = 0; i < x.Length; i++)
        {
            short v = (short)Math.Round(Math.Clamp(x[i], -1f, 1f) * 32767f);
            b[2 * i] = (byte)v;
            b[(2 * i) + 1] = (byte)(v >> 8);
        }

        return b;
    }
}
