using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using VqCodec.Codec.Image;
using VqCodec.Codec.Metrics;
using VqCodec.Tools.IO;
using VqCodec.Tools.Reference;
using VqCodec.Tools.Reporting;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc bench image DIR`: rate-distortion and speed of vqc against JPEG, WebP, AVIF and JPEG XL.</summary>
internal static class BenchImageCommand
{
    private sealed record Row(string Codec, string Image, int Setting, long Bytes, double Bpp, double Psnr, double MsSsim, double EncodeMs, double DecodeMs);

    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "Folder of images (for example ../shared/data/images/valid)." };
        var codecs = new Option<string>("--codecs") { Description = "Comma-separated: vqc,jpeg,webp,avif,jxl.", DefaultValueFactory = _ => "vqc,jpeg,webp,avif,jxl" };
        var output = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => "spec/results/image" };
        var levels = new Option<int[]>("--levels") { Description = "vqc token-only level counts (curve \"vqc-tokens\").", DefaultValueFactory = _ => [1, 2, 3, 4, 6, 8, 11, 16], AllowMultipleArgumentsPerToken = true };
        var detail = new Option<double[]>("--detail") { Description = "vqc detail-layer steps over 2 token levels (curve \"vqc\"; --levels gives the tokens-only curve \"vqc-tokens\").", DefaultValueFactory = _ => [160, 112, 80, 56, 40, 28, 20], AllowMultipleArgumentsPerToken = true };
        var refine = new Option<int[]>("--refine") { Description = "vqc encoder refinement steps; each value is its own pair of curves (0 = \"vqc\" and \"vqc-tokens\", N adds \"-refineN\").", DefaultValueFactory = _ => [0], AllowMultipleArgumentsPerToken = true };
        var model = ModelOptions.ImageModelOption();
        var command = new Command("image", "Bits per pixel (from file size), PSNR, MS-SSIM and timings for vqc and reference codecs; CSV, Markdown with BD-rates, PNG plots.") { dir, codecs, output, levels, detail, refine, model };
        command.SetAction((parse, token) =>
        {
            string folder = InputFiles.RequireFolder(parse.GetValue(dir)!, "image");
            string outDir = parse.GetValue(output)!;
            Directory.CreateDirectory(outDir);
            var wanted = parse.GetValue(codecs)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var unknown = wanted.Where(c => c != "vqc" && ReferenceImageCodec.All.All(r => r.Name != c)).ToList();
            if (unknown.Count > 0)
            {
                throw new CliException($"unknown codec(s): {string.Join(", ", unknown)}", ExitCodes.Usage);
            }

            List<string> files = InputFiles.Expand([folder], ImageFiles.Extensions);
            ImageModel? m = wanted.Contains("vqc") ? ModelOptions.LoadImage(parse.GetValue(model)) : null;
            int[] lv = parse.GetValue(levels)!.Where(n => m is null || n <= m.Config.Levels).ToArray();
            var refs = ReferenceImageCodec.All.Where(r => wanted.Contains(r.Name)).ToList();
            int[] efforts = parse.GetValue(refine)!.Distinct().ToArray();
            if (efforts.Any(e => e is < 0 or > 200))
            {
                throw new CliException("--refine values must be 0..200", ExitCodes.Usage);
            }

            double[] steps = parse.GetValue(detail)!.Distinct().ToArray();
            if (steps.Any(v => v is < ImageEncodeOptions.MinDetailStep or > ImageEncodeOptions.MaxDetailStep))
            {
                throw new CliException($"--detail values must be {ImageEncodeOptions.MinDetailStep}..{ImageEncodeOptions.MaxDetailStep}", ExitCodes.Usage);
            }

            var settings = lv.Select(n => (Tokens: true, Value: (double)n)).Concat(steps.Select(v => (Tokens: false, Value: v))).ToArray();
            long total = files.Count * ((m is null ? 0 : settings.Length * efforts.Length) + refs.Sum(r => r.Qualities.Length));
            var progress = new ConsoleProgress("bench image");
            var rows = new List<Row>();
            var tokenStats = m is null ? null : new TokenStats(m.Config.Levels, m.Config.CodebookSize);
            long done = 0;
            foreach (string file in files)
            {
                RgbImage source = ImageFiles.Load(file);
                string name = Path.GetFileName(file);
                if (m is not null)
                {
                    VqCodec.Container.VqcDocument full = ImageCodec.EncodeDocument(m, source, new ImageEncodeOptions { Levels = m.Config.Levels }, token);
                    tokenStats!.Add(full, m.Priors);
                    foreach ((int effort, (bool tokensOnly, double value)) in efforts.SelectMany(e => settings.Select(s => (e, s))))
                    {
                        token.ThrowIfCancellationRequested();
                        var ms = new MemoryStream();
                        var clock = Stopwatch.StartNew();
                        var options = tokensOnly
                            ? new ImageEncodeOptions { Levels = (int)value, RefineSteps = effort }
                            : new ImageEncodeOptions { DetailStep = value, RefineSteps = effort };
                        ImageEncodeResult r = ImageCodec.Encode(m, source, ms, options, token);
                        double enc = clock.Elapsed.TotalMilliseconds;
                        clock.Restart();
                        RgbImage back = ImageCodec.Decode(m, new MemoryStream(ms.ToArray()), cancellationToken: token);
                        double dec = clock.Elapsed.TotalMilliseconds;
                        string curve = (tokensOnly ? "vqc-tokens" : "vqc") + (effort == 0 ? string.Empty : $"-refine{effort}");
                        rows.Add(new Row(curve, name, (int)value, r.Bytes, r.BitsPerPixel, ImageMetrics.Psnr(source, back), ImageMetrics.MsSsim(source, back), enc, dec));
                        progress.Update(++done, total);
                    }
                }

                foreach (ReferenceImageCodec codec in refs)
                {
                    foreach (int q in codec.Qualities)
                    {
                        token.ThrowIfCancellationRequested();
                        var clock = Stopwatch.StartNew();
                        byte[] data = codec.Encode(source, q);
                        double enc = clock.Elapsed.TotalMilliseconds;
                        clock.Restart();
                        RgbImage back = codec.Decode(data);
                        double dec = clock.Elapsed.TotalMilliseconds;
                        rows.Add(new Row(codec.Name, name, q, data.Length, data.Length * 8.0 / ((double)source.Width * source.Height), ImageMetrics.Psnr(source, back), ImageMetrics.MsSsim(source, back), enc, dec));
                        progress.Update(++done, total);
                    }
                }
            }

            File.WriteAllText(Path.Combine(outDir, "measurements.csv"), Csv.Format(
                ["codec", "image", "setting", "bytes", "bpp", "psnr_db", "ms_ssim", "encode_ms", "decode_ms"],
                rows.Select(r => new object[] { r.Codec, r.Image, r.Setting, r.Bytes, r.Bpp, r.Psnr, r.MsSsim, r.EncodeMs, r.DecodeMs })));
            string summary = Summarise(rows, files.Count, outDir) + (tokenStats?.Markdown() ?? string.Empty);
            File.WriteAllText(Path.Combine(outDir, "README.md"), summary);
            Console.WriteLine(summary);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    /// <summary>Averages each codec's operating points over the images (mean bpp, mean PSNR / MS-SSIM) and computes BD-rates on the averaged curves.</summary>
    private static string Summarise(List<Row> rows, int images, string outDir)
    {
        var ci = CultureInfo.InvariantCulture;
        var curves = rows.GroupBy(r => r.Codec).ToDictionary(
            g => g.Key,
            g => g.GroupBy(r => r.Setting).Select(s => (Setting: s.Key, Bpp: s.Average(r => r.Bpp), Psnr: s.Average(r => r.Psnr), MsSsim: s.Average(r => r.MsSsim), Enc: s.Average(r => r.EncodeMs), Dec: s.Average(r => r.DecodeMs))).OrderBy(p => p.Bpp).ToList());
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"# Image rate-distortion ({images} images)\n");
        sb.AppendLine("Rates are bits per pixel from the total file size; PSNR on 8-bit RGB; MS-SSIM averaged over RGB channels. Each point averages one setting over all images. Generated by `vqc bench image`.\n");
        if (curves.ContainsKey("jpeg"))
        {
            sb.AppendLine("## BD-rate against JPEG (negative = fewer bits at equal quality)\n");
            sb.AppendLine("| codec | BD-rate (PSNR) | BD-rate (MS-SSIM) | BD-rate (PSNR) vs WebP |\n|---|---|---|---|");
            foreach ((string codec, var curve) in curves.Where(c => c.Key != "jpeg"))
            {
                double psnr = BjontegaardDelta.Rate(curves["jpeg"].Select(p => (p.Bpp, p.Psnr)), curve.Select(p => (p.Bpp, p.Psnr)));
                double ssim = BjontegaardDelta.Rate(curves["jpeg"].Select(p => (p.Bpp, p.MsSsim)), curve.Select(p => (p.Bpp, p.MsSsim)));
                double webp = curves.TryGetValue("webp", out var w) && codec != "webp" ? BjontegaardDelta.Rate(w.Select(p => (p.Bpp, p.Psnr)), curve.Select(p => (p.Bpp, p.Psnr))) : double.NaN;
                sb.AppendLine(ci, $"| {codec} | {Csv.Percent(psnr)} | {Csv.Percent(ssim)} | {Csv.Percent(webp)} |");
            }

            sb.AppendLine("\nBD-rates use piecewise cubic (PCHIP) interpolation of log-rate over the overlapping quality range; \"n/a\" means the curves do not overlap.\n");
        }

        sb.AppendLine("## Operating points\n\n| codec | setting | bpp | PSNR (dB) | MS-SSIM | encode (ms) | decode (ms) |\n|---|---|---|---|---|---|---|");
        foreach ((string codec, var curve) in curves)
        {
            foreach (var p in curve)
            {
                sb.AppendLine(ci, $"| {codec} | {p.Setting} | {p.Bpp:F4} | {p.Psnr:F2} | {p.MsSsim:F4} | {p.Enc:F0} | {p.Dec:F0} |");
            }
        }

        Plots.Curves(Path.Combine(outDir, "psnr.png"), "PSNR vs bits per pixel", "bits per pixel", "PSNR (dB)", curves.Select(c => (c.Key, c.Value.Select(p => p.Bpp).ToArray(), c.Value.Select(p => p.Psnr).ToArray())), 1.5);
        Plots.Curves(Path.Combine(outDir, "ms-ssim.png"), "MS-SSIM vs bits per pixel", "bits per pixel", "MS-SSIM", curves.Select(c => (c.Key, c.Value.Select(p => p.Bpp).ToArray(), c.Value.Select(p => p.MsSsim).ToArray())), 1.5);
        sb.AppendLine("\n![PSNR](psnr.png)\n\n![MS-SSIM](ms-ssim.png)");
        return sb.ToString();
    }

    /// <summary>Per-level codebook use and coded size of the full-depth tokens of every image.</summary>
    private sealed class TokenStats(int levels, int k)
    {
        private readonly List<int>[] _tokens = Enumerable.Range(0, levels).Select(_ => new List<int>()).ToArray();
        private readonly Dictionary<string, long> _bytes = [];
        private long _tokenCount;

        public void Add(VqCodec.Container.VqcDocument doc, VqCodec.Container.TokenPriors? priors)
        {
            for (int l = 0; l < doc.Tokens.Length; l++)
            {
                _tokens[l].AddRange(doc.Tokens[l]);
            }

            _tokenCount += doc.Tokens.Sum(t => (long)t.Length);
            foreach (var policy in new[] { VqCodec.Container.TokenCodingPolicy.Packed, VqCodec.Container.TokenCodingPolicy.Lz4, VqCodec.Container.TokenCodingPolicy.RansStatic, VqCodec.Container.TokenCodingPolicy.RansAdaptive, VqCodec.Container.TokenCodingPolicy.Smallest })
            {
                if (priors is null && policy == VqCodec.Container.TokenCodingPolicy.RansStatic)
                {
                    continue;
                }

                long size = doc.Write(Stream.Null, new VqCodec.Container.VqcWriterOptions { Policy = policy, Priors = priors });
                _bytes[policy.ToString()] = _bytes.GetValueOrDefault(policy.ToString()) + size;
            }
        }

        public string Markdown()
        {
            var ci = CultureInfo.InvariantCulture;
            var sb = new StringBuilder("\n## Tokens (all levels, every image)\n\n| coding | bits per token (whole files) |\n|---|---|\n");
            foreach ((string policy, long bytes) in _bytes)
            {
                sb.AppendLine(ci, $"| {policy} | {bytes * 8.0 / _tokenCount:F3} |");
            }

            sb.AppendLine("\n| level | codebook utilisation | perplexity | empirical entropy (bits) |\n|---|---|---|---|");
            for (int l = 0; l < _tokens.Length; l++)
            {
                int[] t = [.. _tokens[l]];
                sb.AppendLine(ci, $"| {l + 1} | {VqCodec.Codec.Quantization.CodebookHealth.Utilisation(t, k) * 100:F1} % | {VqCodec.Codec.Quantization.CodebookHealth.Perplexity(t, k):F0} | {VqCodec.Codec.Quantization.CodebookHealth.EntropyBits(t, k):F3} |");
            }

            return sb.ToString();
        }
    }

}
