using System.CommandLine;
using VqCodec.Container;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc verify FILE...`: walks every chunk, checks every checksum, decodes the tokens where the priors are known and walks every block of a detail layer.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = ".vqc files or folders (every .vqc file in them).", Arity = ArgumentArity.OneOrMore };
        var model = ModelOptions.ImageModelOption();
        var command = new Command("verify", "Check the structure, every checksum and the detail layer's syntax of .vqc files; exits non-zero on any problem.") { files, model };
        command.SetAction(parse =>
        {
            int failures = 0, code = ExitCodes.Success;
            foreach (string path in InputFiles.Expand(parse.GetValue(files)!, [".vqc"]).DefaultIfEmpty(string.Empty))
            {
                if (path.Length == 0)
                {
                    throw new CliException("no .vqc files found", ExitCodes.IoError);
                }

                try
                {
                    byte[] data = InputStream.ReadAll(path);
                    bool priorsKnown = true;
                    int planes = 0;
                    Func<VqcHeader, TokenPriors?> resolve = ModelOptions.PriorsResolver(parse.GetValue(model));
                    using var reader = new VqcReader(new MemoryStream(data), h =>
                    {
                        TokenPriors? p = resolve(h);
                        priorsKnown = p is not null;
                        return p;
                    }, leaveOpen: false, structureOnlyWithoutPriors: true);
                    VqcHeader header = reader.ReadHeader();
                    while (reader.GetNextPlane() is not null)
                    {
                        planes++;
                    }

                    if (reader.Detail is { } detail)
                    {
                        DetailPayloadReader.Validate(detail, header.Width, header.Height);
                    }

                    string detailNote = reader.Detail is null ? string.Empty : $", a detail layer of {reader.Detail.Length} bytes";
                    Console.WriteLine($"{Cli.Printable(path)}: OK ({data.Length} bytes, {planes} token planes in {reader.TokenChunksRead} token chunks, {header.Levels.Length} levels{detailNote}{(priorsKnown ? string.Empty : "; token priors unknown, so rANS planes were checked by checksum only")})");
                }
                catch (Exception ex) when (ex is VqcFormatException or ModelMismatchException or CliException)
                {
                    failures++;
                    int c = Cli.ExitCodeOf(ex);
                    code = code == ExitCodes.Success ? c : code;
                    Console.Error.WriteLine($"vqc: {Cli.Printable(path)}: {Cli.Printable(ex.Message)}");
                }
            }

            return code;
        });
        return command;
    }
}
