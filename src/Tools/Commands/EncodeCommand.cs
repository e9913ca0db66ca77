using System.CommandLine;
using System.Diagnostics;
using VqCodec.Codec.Image;
using VqCodec.Codec.Speech;
using VqCodec.Container;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc encode IN... -o OUT`: images (and WAV speech) to .vqc.</summary>
internal static class EncodeCommand
{
    /// <summary>Shortest and longest speech segment <c>--segment</c> accepts, in seconds.</summary>
    private const double MinSegmentSeconds = 0.1, MaxSegmentSeconds = 1000;

    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Input files or folders (images: PNG, JPEG, WebP, ...; speech: WAV).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "Output file, or folder when several inputs are given.", Required = true };
        var levels = new Option<int?>("--levels") { Description = "RVQ levels to keep (1..16). Images: alone, a tokens-only file; with --detail, the levels under the detail layer (default 2)." };
        var detail = new Option<double?>("--detail") { Description = $"Images: quantizer step of the detail layer in pixel levels, {ImageEncodeOptions.MinDetailStep}..{ImageEncodeOptions.MaxDetailStep} (smaller = finer and larger; 0 = none; default {ImageEncodeOptions.DefaultDetailStep} unless --levels or --bpp is given)." };
        var bpp = new Option<double?>("--bpp") { Description = "Images: the best setting whose file stays under this many bits per pixel (a detail step, or token levels alone at low rates)." };
        var kbps = new Option<double?>("--kbps") { Description = "Speech: keep the most levels whose file stays under this bitrate." };
        var fast = new Option<bool>("--fast") { Description = "Store tokens with LZ4 instead of rANS (faster, larger)." };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite existing outputs." };
        var refine = new Option<int>("--refine") { Description = "Images: encoder effort, 0..200 gradient steps that refine the latent toward the input (slower encode, same decoder; 0 = off)." };
        var noVoice = new Option<bool>("--no-voice") { Description = "Speech: leave out the voice parameters (pitch and gain, about 0.2 kbps) that let the decoder synthesise the speaker's harmonics and level; the file is then readable by format-1.3 decoders." };
        var model = ModelOptions.ImageModelOption();
        var tile = ModelOptions.TileOption(ImageEncodeOptions.DefaultTileSize);
        var noEnvelope = new Option<bool>("--no-envelope") { Description = "Speech: leave out the spectral envelope corrections (per frame and band, about 1.9 kbps) that restore the band levels the tokens lose; the file is then readable by format-1.4 decoders." };
        var halfFrames = new Option<bool>("--envelope-10ms") { Description = "Speech: send the envelope corrections every 10 ms instead of every 20 ms (format 1.7): closer band levels for about twice their rate. With --kbps the encoder chooses them itself at 4.5 kbps and above." };
        var segment = new Option<double?>("--segment") { Description = $"Speech: seconds per independently decodable segment, {MinSegmentSeconds}..{MaxSegmentSeconds} (default 5): the seek granularity and a streaming encoder's delay; each segment costs about 68 bytes, so 1 s segments add about 0.5 kbps." };
        var command = new Command("encode", "Encode images or speech to .vqc files.") { inputs, output, levels, detail, bpp, kbps, fast, noVoice, noEnvelope, halfFrames, segment, force, refine, tile, model };
        command.SetAction((parse, token) =>
        {
            string target = parse.GetValue(output)!;

            // Loaded on first use (after the first input was validated) and shared by every file.
            var loaded = new Lazy<ImageModel>(() => ModelOptions.LoadImage(parse.GetValue(model)));
            var speech = new Lazy<SpeechModel>(() => ModelOptions.LoadSpeech(parse.GetValue(model)));
            int? lv = parse.GetValue(levels);
            double? rate = parse.GetValue(bpp);
            double? step = parse.GetValue(detail);
            if (lv is not null && (rate is not null || parse.GetValue(kbps) is not null))
            {
                throw new CliException("--levels and --bpp/--kbps are exclusive", ExitCodes.Usage);
            }

            if (step is not null && rate is not null)
            {
                throw new CliException("--detail and --bpp are exclusive", ExitCodes.Usage);
            }

            if (step is double v && v != 0 && !(v >= ImageEncodeOptions.MinDetailStep && v <= ImageEncodeOptions.MaxDetailStep))
            {
                throw new CliException($"--detail must be 0 or {ImageEncodeOptions.MinDetailStep}..{ImageEncodeOptions.MaxDetailStep}", ExitCodes.Usage);
            }

            double? speechRate = parse.GetValue(kbps);
            foreach ((string name, double? value) in new[] { ("--bpp", rate), ("--kbps", speechRate) })
            {
                if (value is double r && !(double.IsFinite(r) && r > 0))
                {
                    throw new CliException($"{name} must be a positive number; got {r.ToString(System.Globalization.CultureInfo.InvariantCulture)}", ExitCodes.Usage);
                }
            }

            TokenCodingPolicy policy = parse.GetValue(fast) ? TokenCodingPolicy.Lz4 : TokenCodingPolicy.Smallest;
            var plan = InputFiles.Plan(parse.GetValue(inputs)!, target, [.. ImageFiles.Extensions, .. AudioFiles.Extensions], ".vqc");
            bool anyAudio = plan.Any(p => AudioFiles.Extensions.Contains(Path.GetExtension(p.Input).ToLowerInvariant()));
            bool anyImage = plan.Any(p => !AudioFiles.Extensions.Contains(Path.GetExtension(p.Input).ToLowerInvariant()));
            if (anyImage && speechRate is not null)
            {
                throw new CliException("--kbps is a speech option; images take --bpp, --detail or --levels", ExitCodes.Usage);
            }

            if (anyImage && parse.GetValue(noEnvelope))
            {
                throw new CliException("--no-envelope is a speech option", ExitCodes.Usage);
            }

            if (anyImage && parse.GetValue(noVoice))
            {
                throw new CliException("--no-voice is a speech option", ExitCodes.Usage);
            }

            double? segmentSeconds = parse.GetValue(segment);
            if (segmentSeconds is double seg && !(seg >= MinSegmentSeconds && seg <= MaxSegmentSeconds))
            {
                throw new CliException($"--segment must lie within {MinSegmentSeconds}..{MaxSegmentSeconds} seconds; got {seg.ToString(System.Globalization.CultureInfo.InvariantCulture)}", ExitCodes.Usage);
            }

            if (anyImage && segmentSeconds is not null)
            {
                throw new CliException("--segment is a speech option", ExitCodes.Usage);
            }

            if (parse.GetValue(halfFrames) && (anyImage || parse.GetValue(noEnvelope) || parse.GetValue(noVoice)))
            {
                throw new CliException("--envelope-10ms is a speech option that needs the envelope corrections (not with --no-envelope or --no-voice)", ExitCodes.Usage);
            }

            if (anyAudio && (rate is not null || step is not null || parse.GetValue(refine) != 0))
            {
                throw new CliException("--bpp, --detail and --refine are image options; speech takes --kbps or --levels", ExitCodes.Usage);
            }

            InputFiles.RunBatch(plan, (file, dest) =>
            {
                if (AudioFiles.Extensions.Contains(Path.GetExtension(file).ToLowerInvariant()))
                {
                    var speechOptions = new SpeechEncodeOptions
                    {
                        Levels = lv,
                        TargetKbps = speechRate,
                        Policy = policy,
                        Voice = !parse.GetValue(noVoice),
                        Envelope = !parse.GetValue(noEnvelope),
                        EnvelopeHalfFrames = parse.GetValue(halfFrames),
                        SegmentFrames = segmentSeconds is double sec ? Math.Max(1, (int)Math.Round(sec * speech.Value.Config.FrameRate)) : SpeechEncodeOptions.DefaultSegmentFrames,
                    };
                    SpeechVerbs.Encode(file, dest, speech, speechOptions, parse.GetValue(force), token);
                    return;
                }

                OutputFile.Check(dest, parse.GetValue(force));
                var clock = Stopwatch.StartNew();
                (int channels, int depth) = ImageFiles.SourceFormat(file);
                RgbImage image = ImageFiles.Load(file);
                ImageModel m = loaded.Value;
                var options = new ImageEncodeOptions
                {
                    Progress = StageProgress.ForTerminal("encode " + Path.GetFileName(file)),
                    Levels = lv,
                    DetailStep = step,
                    TargetBitsPerPixel = rate,
                    RefineSteps = parse.GetValue(refine),
                    TileSize = parse.GetValue(tile),
                    Policy = policy,
                    SourceChannels = channels,
                    SourceBitsPerSample = depth,
                    Metadata = new Dictionary<string, string> { ["source"] = Path.GetFileName(file), ["encoder"] = "vqc " + typeof(EncodeCommand).Assembly.GetName().Version },
                };
                ImageEncodeResult result = default!;
                OutputFile.Write(dest, parse.GetValue(force), s => result = ImageCodec.Encode(m, image, s, options, token));
                Console.Error.WriteLine($"{file} -> {dest}: {image.Width}x{image.Height}, {result.Levels} levels{(result.DetailStep > 0 ? $" + detail step {result.DetailStep:0.##}" : string.Empty)}, {result.Bytes} bytes, {result.BitsPerPixel:F4} bpp, {clock.Elapsed.TotalSeconds:F2} s");
            }, token);

            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
