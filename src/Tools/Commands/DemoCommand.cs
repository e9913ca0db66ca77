using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using VqCodec.Codec.Image;
using VqCodec.Codec.Metrics;
using VqCodec.Codec.Speech;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc demo`: encodes and decodes the bundled sample with the embedded model and prints rate, quality and timings.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var image = new Option<string>("--image") { Description = "Image to use.", DefaultValueFactory = _ => "samples/sample.png" };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the .vqc and decoded PNG files (a folder the demo made itself, or a new one).", DefaultValueFactory = _ => "out" };
        var force = new Option<bool>("--force", "-f") { Description = "Write into an existing folder the demo did not make." };
        var levels = new Option<int[]>("--levels") { Description = "Token-only level counts to try.", DefaultValueFactory = _ => [2, 4, 8, 16], AllowMultipleArgumentsPerToken = true };
        var detail = new Option<double[]>("--detail") { Description = "Detail-layer steps to try (over 2 token levels).", DefaultValueFactory = _ => [112, 56, 32, 16], AllowMultipleArgumentsPerToken = true };
        var speech = new Option<string>("--speech") { Description = "WAV file to use.", DefaultValueFactory = _ => "samples/sample.wav" };
        var speechLevels = new Option<int[]>("--speech-levels") { Description = "Speech level counts to try.", DefaultValueFactory = _ => [3, 6, 12], AllowMultipleArgumentsPerToken = true };
        var model = ModelOptions.ImageModelOption();
        var command = new Command("demo", "Encode and decode the bundled samples (image and speech); print rate, quality and timings.") { image, output, force, levels, detail, speech, speechLevels, model };
        command.SetAction((parse, token) =>
        {
            string path = parse.GetValue(image)!;
            if (!File.Exists(path))
            {
                throw new CliException($"{path}: no such file (run from the repository root)", ExitCodes.IoError);
            }

            string outDir = parse.GetValue(output)!;

            // The demo replaces its own earlier results (the folder carries a marker), never a user's files.
            string marker = Path.Combine(outDir, ".vqc-demo");
            if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any() && !File.Exists(marker) && !parse.GetValue(force))
            {
                throw new CliException($"{outDir}: exists and was not made by 'vqc demo'; choose another --out or add --force", ExitCodes.OutputExists);
            }

            Directory.CreateDirectory(outDir);
            File.WriteAllText(marker, "made by vqc demo; its files are replaced by the next demo run\n");
            var clock = Stopwatch.StartNew();
            ImageModel m = ModelOptions.LoadImage(parse.GetValue(model));
            double loadMs = clock.Elapsed.TotalMilliseconds;
            RgbImage source = ImageFiles.Load(path);
            Console.WriteLine($"model {m.Id} ({m.Config.Levels} levels x {m.Config.CodebookSize} codes, loaded in {loadMs:F0} ms); image {path} {source.Width}x{source.Height}");
            Console.WriteLine("setting      bytes     bpp      PSNR(dB)  MS-SSIM  encode(ms)  decode(ms)");
            var settings = parse.GetValue(levels)!.Where(n => n >= 1 && n <= m.Config.Levels).Select(n => (Name: $"L{n}", Options: new ImageEncodeOptions { Levels = n }))
                .Concat(parse.GetValue(detail)!.Where(d => d is >= ImageEncodeOptions.MinDetailStep and <= ImageEncodeOptions.MaxDetailStep)
                    .Select(d => (Name: string.Create(CultureInfo.InvariantCulture, $"L{ImageEncodeOptions.DetailBaseLevels}+D{d:0.##}"), Options: new ImageEncodeOptions { DetailStep = d })));
            foreach ((string name, ImageEncodeOptions options) in settings)
            {
                token.ThrowIfCancellationRequested();
                var ms = new MemoryStream();
                clock.Restart();
                ImageEncodeResult r = ImageCodec.Encode(m, source, ms, options, token);
                double enc = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                RgbImage decoded = ImageCodec.Decode(m, new MemoryStream(ms.ToArray()), cancellationToken: token);
                double dec = clock.Elapsed.TotalMilliseconds;
                double psnr = ImageMetrics.Psnr(source, decoded);
                double msssim = ImageMetrics.MsSsim(source, decoded);
                string stem = Path.Combine(outDir, $"{Path.GetFileNameWithoutExtension(path)}.{name}");
                OutputFile.WriteBytes(stem + ".vqc", force: true, ms.ToArray());
                OutputFile.WriteBytes(stem + ".png", force: true, ImageFiles.Encode(decoded, "png"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-9}  {r.Bytes,8}  {r.BitsPerPixel,7:F4}  {psnr,8:F2}  {msssim,7:F4}  {enc,10:F0}  {dec,10:F0}"));
            }

            Console.WriteLine($"wrote {outDir}/*.vqc and decoded PNGs");
            Speech(parse.GetValue(speech)!, outDir, parse.GetValue(speechLevels)!, token);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static void Speech(string path, string outDir, int[] levels, CancellationToken token)
    {
        if (!SpeechModel.HasPretrained || !File.Exists(path))
        {
            Console.WriteLine(SpeechModel.HasPretrained ? $"{path}: not found; speech demo skipped" : "this build has no speech model; speech demo skipped");
            return;
        }

        var clock = Stopwatch.StartNew();
        SpeechModel m = SpeechModel.LoadPretrained();
        double loadMs = clock.Elapsed.TotalMilliseconds;
        float[] x = WavReader.ReadMono(path, m.Config.SampleRate);
        double seconds = (double)x.Length / m.Config.SampleRate;
        Console.WriteLine($"\nmodel {m.Id} ({m.Config.Levels} levels x {m.Config.CodebookSize} codes at {m.Config.FrameRate:F0} frames/s, loaded in {loadMs:F0} ms); speech {path} {seconds:F2} s");
        Console.WriteLine("levels  bytes   kbps    STOI   mel-dist  SNR(dB)  encode(x RT)  decode(x RT)");
        foreach (int n in levels.Where(n => n >= 1 && n <= m.Config.Levels))
        {
            token.ThrowIfCancellationRequested();
            var ms = new MemoryStream();
            clock.Restart();
            SpeechEncodeResult r = SpeechCodec.Encode(m, x, m.Config.SampleRate, ms, new SpeechEncodeOptions { Levels = n });
            double enc = clock.Elapsed.TotalSeconds;
            clock.Restart();
            (float[] y, int rate) = SpeechCodec.Decode(m, new MemoryStream(ms.ToArray()));
            double dec = clock.Elapsed.TotalSeconds;
            string stem = Path.Combine(outDir, $"{Path.GetFileNameWithoutExtension(path)}.L{n}");
            OutputFile.WriteBytes(stem + ".vqc", force: true, ms.ToArray());
            OutputFile.Write(stem + ".wav", force: true, s => WavWriter.WritePcm16(s, y, rate));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n,6}  {r.Bytes,5}  {r.Kbps,6:F3}  {SpeechMetrics.Stoi(x, y, rate),6:F3}  {SpeechMetrics.MelDistance(x, y),8:F3}  {SpeechMetrics.Snr(x, y),7:F2}  {seconds / enc,12:F1}  {seconds / dec,12:F1}"));
        }

        Console.WriteLine($"wrote {outDir}/*.vqc and decoded WAVs");
    }
}
