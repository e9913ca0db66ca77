using System.CommandLine;
using System.Diagnostics;
using VqCodec.Codec.Image;
using VqCodec.Codec.Speech;
using VqCodec.Container;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc decode IN.vqc... -o OUT`: .vqc to PNG (images) or WAV (speech).</summary>
internal static class DecodeCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = ".vqc files or folders.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "Output file (.png, .jpg, .webp, .bmp for images; .wav for speech), or a folder.", Required = true };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite existing outputs." };
        var originalRate = new Option<bool>("--original-rate") { Description = "Speech: write the source sample rate instead of 16 kHz." };
        var maxPixels = new Option<long>("--max-pixels") { Description = "Refuse images above this many pixels (checked from the header before decoding).", DefaultValueFactory = _ => 1L << 28 };
        var maxSamples = new Option<long>("--max-samples") { Description = "Speech: refuse files that declare more output samples (checked from the header).", DefaultValueFactory = _ => 1L << 31 };
        var noRestore = new Option<bool>("--no-restore") { Description = "Images: skip the restoration network the file names (the unrestored image, with the block edges deblocked)." };
        var noDeblock = new Option<bool>("--no-deblock") { Description = "Images decoded without a restorer: skip the deblocking filter (the pixels as the tokens and detail layer leave them)." };
        var tile = ModelOptions.TileOption(ImageDecodeOptions.DefaultTileSize);
        var model = ModelOptions.ImageModelOption();
        var command = new Command("decode", "Decode .vqc files.") { inputs, output, force, originalRate, maxPixels, maxSamples, noRestore, noDeblock, tile, model };
        command.SetAction((parse, token) =>
        {
            string target = parse.GetValue(output)!;
            if (parse.GetValue(maxPixels) < 1 || parse.GetValue(maxSamples) < 1)
            {
                throw new CliException("--max-pixels and --max-samples must be positive", ExitCodes.Usage);
            }

            var decodeOptions = new ImageDecodeOptions { MaxPixels = parse.GetValue(maxPixels), Restore = !parse.GetValue(noRestore), Deblock = !parse.GetValue(noDeblock), TileSize = parse.GetValue(tile), Progress = StageProgress.ForTerminal("decode") };

            // Loaded on first use (after the first input was validated) and shared by every file.
            var loaded = new Lazy<ImageModel>(() => ModelOptions.LoadImage(parse.GetValue(model)));
            var speech = new Lazy<SpeechModel>(() => ModelOptions.LoadSpeech(parse.GetValue(model)));
            bool folder = Directory.Exists(target);
            InputFiles.RunBatch(InputFiles.Plan(parse.GetValue(inputs)!, target, [".vqc"], ".png"), (file, planned) =>
            {
                var clock = Stopwatch.StartNew();
                byte[] data = InputStream.ReadAll(file);
                VqcHeader header = VqcProbe.ReadHeader(data).Header;
                if (header.Kind == MediaKind.Speech)
                {
                    string wav = folder ? Path.ChangeExtension(planned, ".wav") : planned;
                    SpeechVerbs.Decode(file, data, wav, speech, parse.GetValue(originalRate), parse.GetValue(force), token, parse.GetValue(maxSamples));
                    return;
                }

                string dest = planned;
                OutputFile.Check(dest, parse.GetValue(force));
                string format = ImageFiles.WriteFormat(dest);
                ImageModel m = loaded.Value;
                RgbImage image = ImageCodec.Decode(m, new MemoryStream(data), decodeOptions, token);
                byte[] encoded = ImageFiles.Encode(image, format, quality: 95, grey: header.Channels == 1);
                OutputFile.WriteBytes(dest, parse.GetValue(force), encoded);
                Console.Error.WriteLine($"{file} -> {dest}: {image.Width}x{image.Height}, {header.Levels.Length} levels, {clock.Elapsed.TotalSeconds:F2} s");
            }, token);

            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
