using System.CommandLine;
using VqCodec.Codec.Image;
using VqCodec.Codec.Models;
using VqCodec.Codec.Speech;
using VqCodec.Container;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc generate speech|image -o OUT`: samples token sequences from the model's learned prior and decodes them.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var kind = new Argument<string>("kind") { Description = "speech (babble from the speech prior) or image (a texture from the image prior)." };
        kind.AcceptOnlyFromAmong("speech", "image");
        var output = new Option<string>("--output", "-o") { Description = "Output: .wav (decoded speech), an image file (decoded image: .png, .bmp, ...) or .vqc (the sampled tokens).", Required = true };
        var seconds = new Option<double>("--seconds") { Description = "Length to generate (speech).", DefaultValueFactory = _ => 4.0 };
        var width = new Option<int>("--width") { Description = "Image width (16..4096).", DefaultValueFactory = _ => 256 };
        var height = new Option<int>("--height") { Description = "Image height (16..4096).", DefaultValueFactory = _ => 256 };
        var levels = new Option<int?>("--levels") { Description = $"Token levels per frame or position (default {SpeechEncodeOptions.DefaultLevels} for speech, 4 for images)." };
        var seed = new Option<int>("--seed") { Description = "Random seed (the same seed gives the same tokens).", DefaultValueFactory = _ => 1 };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature (below 1: more probable tokens).", DefaultValueFactory = _ => 1.0 };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite an existing output." };
        var model = ModelOptions.ImageModelOption();
        var command = new Command("generate", "Sample a token sequence from the learned token prior and decode it (tokens as a language).")
        {
            kind, output, seconds, width, height, levels, seed, temperature, force, model,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(output)!;
            string ext = Path.GetExtension(path).ToLowerInvariant();
            if (parse.GetValue(kind) == "image")
            {
                return GenerateImage(parse, path, ext, width, height, levels, seed, temperature, force, model);
            }

            if (ext is not (".wav" or ".vqc"))
            {
                throw new CliException($"{path}: the output must be a .wav or .vqc file", ExitCodes.Usage);
            }

            double s = parse.GetValue(seconds), t = parse.GetValue(temperature);
            int l = parse.GetValue(levels) ?? SpeechEncodeOptions.DefaultLevels;
            if (!(s > 0 && s <= 3600) || !(t > 0 && t <= 10))
            {
                throw new CliException("--seconds must be in (0, 3600] and --temperature in (0, 10]", ExitCodes.Usage);
            }

            OutputFile.Check(path, parse.GetValue(force));
            SpeechModel speech = ModelOptions.LoadSpeech(parse.GetValue(model));
            CheckPrior(speech, ContextLayout.Sequence, speech.Config.Levels, l);

            byte[] file = SpeechCodec.Generate(speech, s, l, parse.GetValue(seed), t);
            if (ext == ".vqc")
            {
                OutputFile.WriteBytes(path, parse.GetValue(force), file);
            }
            else
            {
                (float[] y, int rate) = SpeechCodec.Decode(speech, new MemoryStream(file));
                OutputFile.Write(path, parse.GetValue(force), st => WavWriter.WritePcm16(st, y, rate));
            }

            Console.Error.WriteLine($"{path}: {s:0.##} s of speech tokens sampled from the prior of {speech.Id} ({l} levels, seed {parse.GetValue(seed)}, temperature {t:0.##}; {file.Length} bytes as .vqc)");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The model must have a learned prior of <paramref name="layout"/> that covers <paramref name="levels"/> of its <paramref name="modelLevels"/> levels.</summary>
    private static void CheckPrior(LoadedModel model, ContextLayout layout, int modelLevels, int levels)
    {
        if (model.Priors?.Context is not { } prior || prior.Layout != layout)
        {
            throw new CliException($"model '{model.Id}' has no learned {(layout == ContextLayout.Grid ? "grid " : string.Empty)}token prior to sample from", ExitCodes.ModelMismatch);
        }

        int most = Math.Min(prior.Levels, modelLevels);
        if (levels < 1 || levels > most)
        {
            throw new CliException($"--levels must be 1..{most}", ExitCodes.Usage);
        }
    }

    private static int GenerateImage(ParseResult parse, string path, string ext, Option<int> width, Option<int> height, Option<int?> levels, Option<int> seed, Option<double> temperature, Option<bool> force, Option<string?> model)
    {
        string? format = ext == ".vqc" ? null : ImageFiles.WriteFormat(path);

        int w = parse.GetValue(width), h = parse.GetValue(height), l = parse.GetValue(levels) ?? 4;
        double t = parse.GetValue(temperature);
        if (w is < 16 or > 4096 || h is < 16 or > 4096 || !(t > 0 && t <= 10))
        {
            throw new CliException("--width and --height must be 16..4096 and --temperature in (0, 10]", ExitCodes.Usage);
        }

        OutputFile.Check(path, parse.GetValue(force));
        ImageModel image = ModelOptions.LoadImage(parse.GetValue(model));
        CheckPrior(image, ContextLayout.Grid, image.Config.Levels, l);

        byte[] file = ImageCodec.Generate(image, w, h, l, parse.GetValue(seed), t);
        if (ext == ".vqc")
        {
            OutputFile.WriteBytes(path, parse.GetValue(force), file);
        }
        else
        {
            RgbImage decoded = ImageCodec.Decode(image, new MemoryStream(file));
            OutputFile.WriteBytes(path, parse.GetValue(force), ImageFiles.Encode(decoded, format!));
        }

        Console.Error.WriteLine($"{path}: a {w}x{h} image of tokens sampled from the prior of {image.Id} ({l} levels, seed {parse.GetValue(seed)}, temperature {t:0.##}; {file.Length} bytes as .vqc)");
        return ExitCodes.Success;
    }
}
