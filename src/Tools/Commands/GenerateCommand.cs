using System.CommandLine;
using VqCodec.Codec.Speech;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc generate speech -o OUT.wav|OUT.vqc`: samples token sequences from the model's learned prior and decodes them.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var kind = new Argument<string>("kind") { Description = "speech (the only medium with a learned token prior so far)." };
        kind.AcceptOnlyFromAmong("speech");
        var output = new Option<string>("--output", "-o") { Description = "Output: .wav (decoded speech) or .vqc (the sampled tokens).", Required = true };
        var seconds = new Option<double>("--seconds") { Description = "Length to generate.", DefaultValueFactory = _ => 4.0 };
        var levels = new Option<int>("--levels") { Description = "Token levels per frame.", DefaultValueFactory = _ => SpeechEncodeOptions.DefaultLevels };
        var seed = new Option<int>("--seed") { Description = "Random seed (the same seed gives the same tokens).", DefaultValueFactory = _ => 1 };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature (below 1: more probable tokens).", DefaultValueFactory = _ => 1.0 };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite an existing output." };
        var model = ModelOptions.ImageModelOption();
        var command = new Command("generate", "Sample a token sequence from the learned token prior and decode it (tokens as a language).")
        {
            kind, output, seconds, levels, seed, temperature, force, model,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(output)!;
            string ext = Path.GetExtension(path).ToLowerInvariant();
            if (ext is not (".wav" or ".vqc"))
            {
                throw new CliException($"{path}: the output must be a .wav or .vqc file", ExitCodes.Usage);
            }

            double s = parse.GetValue(seconds), t = parse.GetValue(temperature);
            int l = parse.GetValue(levels);
            if (!(s > 0 && s <= 3600) || !(t > 0 && t <= 10))
            {
                throw new CliException("--seconds must be in (0, 3600] and --temperature in (0, 10]", ExitCodes.Usage);
            }

            OutputFile.Check(path, parse.GetValue(force));
            SpeechModel speech = ModelOptions.LoadSpeech(parse.GetValue(model));
            if (speech.Priors?.Context is not { } prior)
            {
                throw new CliException($"model '{speech.Id}' has no learned token prior to sample from", ExitCodes.ModelMismatch);
            }

            if (l < 1 || l > Math.Min(prior.Levels, speech.Config.Levels))
            {
                throw new CliException($"--levels must be 1..{Math.Min(prior.Levels, speech.Config.Levels)}", ExitCodes.Usage);
            }

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
}
