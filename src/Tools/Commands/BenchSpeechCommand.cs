using System.CommandLine;
using System.Globalization;
using System.Text;
using VqCodec.Codec.Audio;
using VqCodec.Codec.Metrics;
using VqCodec.Codec.Speech;
using VqCodec.Tools.IO;
using VqCodec.Tools.Reference;
using VqCodec.Tools.Reporting;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc bench speech DIR`: kbps (from file size), STOI, mel distance, SNR, SI-SNR and real-time factors.</summary>
internal static class BenchSpeechCommand
{
    private sealed record Row(string Codec, string Setting, string File, long Bytes, double Kbps, Quality Q, double EncodeRtf, double DecodeRtf);

    /// <summary>Every metric of one decoded file against its reference.</summary>
    private sealed record Quality(double Stoi, double Mel, double Snr, double SiSnr, double Cents, double Gpe, double Vde, double LoudnessDiff, double Lsd)
    {
        public static Quality Measure(float[] x, float[] y)
        {
            PitchComparison pitch = PitchComparison.Compute(x, y, 16000);
            return new Quality(SpeechMetrics.Stoi(x, y, 16000), SpeechMetrics.MelDistance(x, y), SpeechMetrics.Snr(x, y), SpeechMetrics.SiSnr(x, y),
                pitch.MedianCents, pitch.GrossPitchError, pitch.VoicingError, Loudness.Difference(x, y, 16000), SpeechMetrics.LogSpectralDistance(x, y));
        }
    }

    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "Folder of WAV files (for example ../shared/data/speech/valid)." };
        var codecs = new Option<string>("--codecs") { Description = "Comma-separated: vqc,opus,codec2.", DefaultValueFactory = _ => "vqc,opus,codec2" };
        var output = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => "spec/results/speech" };
        var levels = new Option<int[]>("--levels") { Description = "vqc level counts.", DefaultValueFactory = _ => [1, 2, 3, 4, 6, 8, 11, 16], AllowMultipleArgumentsPerToken = true };
        var targets = new Option<double[]>("--kbps") { Description = "vqc rate targets (each file gets the most levels that keep it at or under the target; codec 'vqc-target').", DefaultValueFactory = _ => [1.6, 3.2, 6.0], AllowMultipleArgumentsPerToken = true };
        var model = ModelOptions.ImageModelOption();
        var command = new Command("speech", "Speech rate-quality of vqc against Opus and Codec2 (their Debian command-line tools).") { dir, codecs, output, levels, targets, model };
        command.SetAction((parse, token) =>
        {
            string folder = InputFiles.RequireFolder(parse.GetValue(dir)!, "speech");
            string outDir = parse.GetValue(output)!;
            Directory.CreateDirectory(outDir);
            var wanted = parse.GetValue(codecs)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var refs = new List<ReferenceSpeechCodec>();
            var notes = new List<string>();
            foreach (ReferenceSpeechCodec c in ReferenceSpeechCodec.All.Where(c => wanted.Contains(c.Name)))
            {
                string decoder = c.Name == "opus" ? "opusdec" : "c2dec";
                if (ReferenceSpeechCodec.Installed(c.Tool) && ReferenceSpeechCodec.Installed(decoder))
                {
                    refs.Add(c);
                }
                else if (!notes.Any(n => n.StartsWith(c.Name, StringComparison.Ordinal)))
                {
                    notes.Add($"{c.Name}: {c.Tool}/{decoder} not installed (apt-get install {(c.Name == "opus" ? "opus-tools" : "codec2")}); skipped");
                }
            }

            SpeechModel? m = wanted.Contains("vqc") ? ModelOptions.LoadSpeech(parse.GetValue(model)) : null;
            int[] lv = m is null ? [] : parse.GetValue(levels)!.Where(n => n >= 1 && n <= m.Config.Levels).Distinct().Order().ToArray();

            foreach (string n in notes)
            {
                Console.Error.WriteLine($"vqc: {n}");
            }

            List<string> files = InputFiles.Expand([folder], AudioFiles.Extensions);
            string work = Path.Combine(Path.GetTempPath(), "vqc-bench-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(work);
            var progress = new ConsoleProgress("bench speech");
            var rows = new List<Row>();
            double[] kbpsTargets = m is null ? [] : parse.GetValue(targets)!.Where(t => t > 0).Distinct().Order().ToArray();
            long done = 0, total = (long)files.Count * (refs.Count + lv.Length + kbpsTargets.Length);
            try
            {
                foreach (string file in files)
                {
                    float[] x = AudioFiles.ReadMono(file, 16000);
                    double seconds = x.Length / 16000.0;
                    foreach (int n in lv)
                    {
                        token.ThrowIfCancellationRequested();
                        (long bytes, float[] y, double enc, double dec) = RunVqc(m!, x, new SpeechEncodeOptions { Levels = n });
                        rows.Add(new Row("vqc", $"{n} levels", Path.GetFileName(file), bytes, bytes * 8 / seconds / 1000, Quality.Measure(x, y), seconds / enc, seconds / dec));
                        progress.Update(++done, total);
                    }

                    foreach (double target in kbpsTargets)
                    {
                        token.ThrowIfCancellationRequested();
                        (long bytes, float[] y, double enc, double dec) = RunVqc(m!, x, new SpeechEncodeOptions { TargetKbps = target });
                        rows.Add(new Row("vqc-target", string.Create(CultureInfo.InvariantCulture, $"<= {target:0.0##} kbps"), Path.GetFileName(file), bytes, bytes * 8 / seconds / 1000, Quality.Measure(x, y), seconds / enc, seconds / dec));
                        progress.Update(++done, total);
                    }

                    foreach (ReferenceSpeechCodec codec in refs)
                    {
                        token.ThrowIfCancellationRequested();
                        (long bytes, float[] y, double enc, double dec) = codec.Run(x, work);
                        y = Align(x, y, 1600);
                        rows.Add(new Row(codec.Name, codec.Setting, Path.GetFileName(file), bytes, bytes * 8 / seconds / 1000, Quality.Measure(x, y), seconds / enc, seconds / dec));
                        progress.Update(++done, total);
                    }
                }
            }
            finally
            {
                Directory.Delete(work, true);
            }

            File.WriteAllText(Path.Combine(outDir, "measurements.csv"), Csv.Format(
                ["codec", "setting", "file", "bytes", "kbps", "stoi", "mel_distance", "snr_db", "si_snr_db", "f0_median_cents", "gross_pitch_error", "voicing_error", "loudness_diff_db", "lsd_db", "encode_rtf", "decode_rtf"],
                rows.Select(r => new object[] { r.Codec, r.Setting, r.File, r.Bytes, r.Kbps, r.Q.Stoi, r.Q.Mel, r.Q.Snr, r.Q.SiSnr, r.Q.Cents, r.Q.Gpe, r.Q.Vde, r.Q.LoudnessDiff, r.Q.Lsd, r.EncodeRtf, r.DecodeRtf })));
            var ci = CultureInfo.InvariantCulture;
            var sb = new StringBuilder($"# Speech rate-quality ({files.Count} files)\n\nkbps from the total encoded file size over the duration; metrics against the 16 kHz original after lag alignment. Real-time factors are audio seconds per processing second (process start-up included for the command-line codecs). Generated by `vqc bench speech`.\n\n");
            foreach (string n in notes)
            {
                sb.AppendLine(ci, $"- {n}");
            }

            sb.AppendLine("\nPitch: median F0 error in cents and gross pitch error (share off by more than 20 %) over frames voiced in both signals (YIN, 10 ms frames), voicing decision error over all frames; loudness difference after ITU-R BS.1770 (decoded minus original, LU); log-spectral distance (LSD) at full 1024-point STFT resolution (harmonic fine structure).");
            sb.AppendLine("\n| codec | setting | kbps | STOI | mel distance | F0 error (cents, median) | gross pitch error | voicing error | loudness diff (dB) | LSD (dB) | SNR (dB) | encode RTF | decode RTF |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            static double Mean(IEnumerable<double> values) => values.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
            var curves = rows.GroupBy(r => (r.Codec, r.Setting)).Select(g => (g.Key.Codec, g.Key.Setting, Kbps: g.Average(r => r.Kbps), Stoi: Mean(g.Select(r => r.Q.Stoi)), Mel: Mean(g.Select(r => r.Q.Mel)), Snr: Mean(g.Select(r => r.Q.Snr)),
                Cents: Mean(g.Select(r => r.Q.Cents)), Gpe: Mean(g.Select(r => r.Q.Gpe)), Vde: Mean(g.Select(r => r.Q.Vde)), Loud: Mean(g.Select(r => r.Q.LoudnessDiff)), Lsd: Mean(g.Select(r => r.Q.Lsd)),
                Enc: g.Average(r => r.EncodeRtf), Dec: g.Average(r => r.DecodeRtf))).OrderBy(c => c.Codec).ThenBy(c => c.Kbps).ToList();
            foreach (var c in curves)
            {
                sb.AppendLine(ci, $"| {c.Codec} | {c.Setting} | {c.Kbps:F2} | {c.Stoi:F3} | {c.Mel:F3} | {c.Cents:F0} | {c.Gpe:P1} | {c.Vde:P1} | {c.Loud:+0.0;-0.0} | {c.Lsd:F2} | {c.Snr:F2} | {c.Enc:F0} | {c.Dec:F0} |");
            }

            if (curves.Any(c => c.Codec == "opus"))
            {
                sb.AppendLine("\n## BD-rate against Opus (negative = fewer bits at equal quality)\n\n| codec | BD-rate (STOI) | BD-rate (mel distance) |\n|---|---|---|");
                var opus = curves.Where(c => c.Codec == "opus").ToList();
                foreach (var g in curves.Where(c => c.Codec != "opus").GroupBy(c => c.Codec))
                {
                    double stoi = BjontegaardDelta.Rate(opus.Select(c => (c.Kbps, c.Stoi)), g.Select(c => (c.Kbps, c.Stoi)));
                    double mel = BjontegaardDelta.Rate(opus.Select(c => (c.Kbps, -c.Mel)), g.Select(c => (c.Kbps, -c.Mel)));
                    sb.AppendLine(ci, $"| {g.Key} | {Csv.Percent(stoi)} | {Csv.Percent(mel)} |");
                }

                sb.AppendLine("\nBD-rates use piecewise cubic (PCHIP) interpolation of log-rate over the overlapping quality range (mel distance negated so that higher is better); \"n/a\" means the curves do not overlap.");
            }

            Plots.Curves(Path.Combine(outDir, "stoi.png"), "STOI vs kbps", "kbps", "STOI", curves.GroupBy(c => c.Codec).Select(g => (g.Key, g.Select(c => c.Kbps).ToArray(), g.Select(c => c.Stoi).ToArray())));
            Plots.Curves(Path.Combine(outDir, "mel.png"), "Mel distance vs kbps (lower is better)", "kbps", "mel distance", curves.GroupBy(c => c.Codec).Select(g => (g.Key, g.Select(c => c.Kbps).ToArray(), g.Select(c => c.Mel).ToArray())));
            sb.AppendLine("\n![STOI](stoi.png)\n\n![Mel distance](mel.png)");
            File.WriteAllText(Path.Combine(outDir, "README.md"), sb.ToString());
            Console.WriteLine(sb.ToString());
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    /// <summary>Encodes and decodes in memory; times each direction.</summary>
    private static (long Bytes, float[] Decoded, double EncodeSeconds, double DecodeSeconds) RunVqc(SpeechModel model, float[] x, SpeechEncodeOptions options)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var file = new MemoryStream();
        SpeechCodec.Encode(model, x, 16000, file, options);
        double enc = clock.Elapsed.TotalSeconds;
        file.Position = 0;
        clock.Restart();
        (float[] y, _) = SpeechCodec.Decode(model, file);
        return (file.Length, y, enc, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Shifts <paramref name="y"/> by the lag (within ±maxLag) that maximises its cross-correlation with <paramref name="x"/>.</summary>
    internal static float[] Align(float[] x, float[] y, int maxLag)
    {
        int best = 0;
        double bestC = double.NegativeInfinity;
        int n = Math.Min(x.Length, y.Length);
        for (int lag = -maxLag; lag <= maxLag; lag += 1)
        {
            double c = 0;
            for (int i = Math.Max(0, -lag); i < n && i + lag < y.Length; i += 4)
            {
                c += x[i] * (double)y[i + lag];
            }

            if (c > bestC)
            {
                bestC = c;
                best = lag;
            }
        }

        var r = new float[x.Length];
        for (int i = 0; i < r.Length; i++)
        {
            int j = i + best;
            r[i] = j >= 0 && j < y.Length ? y[j] : 0;
        }

        return r;
    }
}
