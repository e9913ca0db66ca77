using System.Diagnostics;
using VqCodec.Codec.Audio;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Reference;

/// <summary>
/// Classical speech codecs: Opus in process through Concentus 2.2.2 (pure C#, native probing off; 16 kHz
/// mono, 20 ms frames, VBR, complexity 10, the "audio" application as opusenc uses) and Codec2 through its
/// Debian command-line tools (c2enc/c2dec, raw 8 kHz 16-bit PCM, resampled by the project's band-limited
/// resampler). The rate is the total encoded size over the duration: for Opus, every packet with its
/// self-delimiting length (1 byte below 252 bytes, else 2; RFC 6716 appendix B) plus the 19-byte OpusHead,
/// the least any Opus file or stream carries (an Ogg file adds about 0.2 kbps of page headers at 6 kbps).
/// </summary>
internal sealed record ReferenceSpeechCodec(string Name, string Setting, params string[] Tools)
{
    private const int OpusFrame = 320;
    private const int OpusHeadBytes = 19;

    public static IReadOnlyList<ReferenceSpeechCodec> All { get; } =
    [
        new("opus", "6"), new("opus", "8"), new("opus", "12"),
        new("codec2", "700C", "c2enc", "c2dec"), new("codec2", "1600", "c2enc", "c2dec"), new("codec2", "3200", "c2enc", "c2dec"),
    ];

    /// <summary>True when the codec can run here (Opus always; Codec2 needs its Debian tools on the PATH).</summary>
    public bool Available => Tools.All(Installed);

    public static bool Installed(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(d => File.Exists(Path.Combine(d, tool)));

    /// <summary>Opus through Concentus: the coded size (packets, their lengths and OpusHead) and the decoded 16 kHz signal.</summary>
    public static (long Bytes, float[] Decoded, double EncodeSeconds, double DecodeSeconds) Opus(float[] samples16k, int kbps)
    {
        Concentus.OpusCodecFactory.AttemptToUseNativeLibrary = false;
        var clock = Stopwatch.StartNew();
        Concentus.IOpusEncoder encoder = Concentus.OpusCodecFactory.CreateEncoder(16000, 1, Concentus.Enums.OpusApplication.OPUS_APPLICATION_AUDIO);
        encoder.Bitrate = kbps * 1000;
        encoder.Complexity = 10;
        encoder.UseVBR = true;

        // One extra frame of silence flushes the encoder's look-ahead; the bench aligns the lag.
        int frames = (samples16k.Length + OpusFrame - 1) / OpusFrame + 1;
        var pcm = new short[frames * OpusFrame];
        for (int i = 0; i < samples16k.Length; i++)
        {
            pcm[i] = (short)Math.Round(Math.Clamp(samples16k[i], -1f, 1f) * 32767f);
        }

        var packets = new List<byte[]>(frames);
        var buffer = new byte[1275];
        long bytes = OpusHeadBytes;
        for (int f = 0; f < frames; f++)
        {
            int n = encoder.Encode(pcm.AsSpan(f * OpusFrame, OpusFrame), OpusFrame, buffer, buffer.Length);
            if (n < 0)
            {
                throw new InvalidOperationException($"Opus encoder error {n}");
            }

            packets.Add(buffer.AsSpan(0, n).ToArray());
            bytes += n + (n < 252 ? 1 : 2);
        }

        double encodeSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        Concentus.IOpusDecoder decoder = Concentus.OpusCodecFactory.CreateDecoder(16000, 1);
        var decoded = new float[frames * OpusFrame];
        var frame = new short[OpusFrame];
        for (int f = 0; f < frames; f++)
        {
            int n = decoder.Decode(packets[f], frame, OpusFrame, false);
            for (int i = 0; i < n; i++)
            {
                decoded[(f * OpusFrame) + i] = frame[i] / 32768f;
            }
        }

        return (bytes, decoded, encodeSeconds, clock.Elapsed.TotalSeconds);
    }

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
                return Opus(samples16k, int.Parse(Setting, System.Globalization.CultureInfo.InvariantCulture));
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
