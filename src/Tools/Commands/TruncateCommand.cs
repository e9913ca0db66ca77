using System.CommandLine;
using VqCodec.Container;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc truncate IN.vqc --levels N -o OUT.vqc`: a lower-rate file without re-encoding the media.</summary>
internal static class TruncateCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A .vqc file." };
        var levels = new Option<int?>("--levels") { Description = "Levels to keep (default: all). Fewer levels also drop an image's detail layer, which refines the image of all levels." };
        var dropDetail = new Option<bool>("--drop-detail") { Description = "Drop the image's detail layer (the token levels alone remain)." };
        var output = new Option<string>("--output", "-o") { Description = "Output .vqc file.", Required = true };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite an existing output." };
        var model = ModelOptions.ImageModelOption();
        var command = new Command("truncate", "Drop trailing RVQ levels or the detail layer (a valid lower-rate file; no model needed).") { file, levels, dropDetail, output, force, model };
        command.SetAction(parse =>
        {
            byte[] data = InputStream.ReadAll(parse.GetValue(file)!);
            // One resolver reads and writes: a file coded with a --model file's priors is truncated with them too.
            Func<VqcHeader, TokenPriors?> resolve = ModelOptions.PriorsResolver(parse.GetValue(model));
            VqcDocument doc = VqcDocument.Read(new MemoryStream(data), resolve);
            int n = parse.GetValue(levels) ?? doc.Header.Levels.Length;
            if (n < 1 || n > doc.Header.Levels.Length)
            {
                throw new CliException($"--levels must be 1..{doc.Header.Levels.Length}", ExitCodes.Usage);
            }

            TokenPriors? priors = resolve(doc.Header);
            VqcDocument low = parse.GetValue(dropDetail) ? doc.Truncate(n).WithoutDetail() : doc.Truncate(n);
            long size = 0;
            OutputFile.Write(parse.GetValue(output)!, parse.GetValue(force), s => size = low.Write(s, new VqcWriterOptions { Priors = priors }, leaveOpen: true));
            string detail = doc.Detail is null ? string.Empty : low.Detail is null ? ", detail layer dropped" : ", detail layer kept";
            Console.Error.WriteLine($"{data.Length} -> {size} bytes ({n} of {doc.Header.Levels.Length} levels{detail})");
            return ExitCodes.Success;
        });
        return command;
    }
}
