using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using VqCodec.Codec.Image;
using VqCodec.Codec.Metrics;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc demo`: encodes and decodes the bundled sample with the embedded model and prints rate, quality and timings.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var image = new Option<string>("--image") { Description = "Image to use.", DefaultValueFactory = _ => "samples/sample.png" };
        var output = new Option<string>("--out") { Description = "Folder for the .vqc and decoded PNG files.", DefaultValueFactory = _ => "out" };
        var levels = new Option<int[]>("--levels") { Description = "Level counts to try.", DefaultValueFactory = _ => [2, 4, 8, 16], AllowMultipleArgumentsPerToken = true };
        var model = ModelOptions.ImageModelOption();
        var command = new Command("demo", "Encode and decode the bundled sample image; print bits per pixel, PSNR, MS-SSIM and timings.") { image, output, levels, model };
        command.SetAction((parse, token) =>
        {
            string path = parse.GetValue(image)!;
            if (!File.Exists(path))
            {
                throw new CliException($"{path}: no such file (run from the repository root)", ExitCodes.IoError);
            }

            string outDir = parse.GetValue(output)!;
            Directory.CreateDirectory(outDir);
            var clock = Stopwatch.StartNew();
            ImageModel m = ModelOptions.LoadImage(parse.GetValue(model));
            double loadMs = clock.Elapsed.TotalMilliseconds;
            RgbImage source = ImageFiles.Load(path);
            Console.WriteLine($"model {m.Id} ({m.Config.Levels} levels x {m.Config.CodebookSize} codes, loaded in {loadMs:F0} ms); image {path} {source.Width}x{source.Height}");
            Console.WriteLine("levels  bytes     bpp      PSNR(dB)  MS-SSIM  encode(ms)  decode(ms)");
            foreach (int n in parse.GetValue(levels)!.Where(n => n >= 1 && n <= m.Config.Levels))
            {
                token.ThrowIfCancellationRequested();
                var ms = new MemoryStream();
                clock.Restart();
                ImageEncodeResult r = ImageCodec.Encode(m, source, ms, new ImageEncodeOptions { Levels = n }, token);
                double enc = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                RgbImage decoded = ImageCodec.Decode(m, new MemoryStream(ms.ToArray()), cancellationToken: token);
                double dec = clock.Elapsed.TotalMilliseconds;
                double psnr = ImageMetrics.Psnr(source, decoded);
                double msssim = ImageMetrics.MsSsim(source, decoded);
                string stem = Path.Combine(outDir, $"{Path.GetFileNameWithoutExtension(path)}.L{n}");
                OutputFile.WriteBytes(stem + ".vqc", force: true, ms.ToArray());
                OutputFile.WriteBytes(stem + ".png", force: true, ImageFiles.Encode(decoded, ImageMagick.MagickFormat.Png));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n,6}  {r.Bytes,8}  {r.BitsPerPixel,7:F4}  {psnr,8:F2}  {msssim,7:F4}  {enc,10:F0}  {dec,10:F0}"));
            }

            Console.WriteLine($"wrote {outDir}/*.vqc and decoded PNGs");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
