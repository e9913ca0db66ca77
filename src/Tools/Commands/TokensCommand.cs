using System.CommandLine;
using System.Text;
using System.Text.Json;
using VqCodec.Container;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc tokens FILE --format json|npy`: exports token grids (for example as language-model tokens).</summary>
internal static class TokensCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A .vqc file." };
        var format = new Option<string>("--format") { Description = "json, npy (int32 array of shape [levels, height, width], or [levels, frames] for speech) or sequence (one line of vocabulary ids for language models, spec/tokens.md).", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "npy", "sequence");
        var vocab = new Option<string?>("--vocab") { Description = "sequence: also write the vocabulary (JSON) of the file's token layout here." };
        var output = new Option<string>("--output", "-o") { Description = "Output file ('-' for stdout).", DefaultValueFactory = _ => "-" };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite an existing output." };
        var model = ModelOptions.ImageModelOption();
        var command = new Command("tokens", "Export the token grids of a .vqc file.") { file, format, output, force, model, vocab };
        command.SetAction(parse =>
        {
            byte[] data = InputStream.ReadAll(parse.GetValue(file)!);
            VqcDocument doc = VqcDocument.Read(new MemoryStream(data), ModelOptions.PriorsResolver(parse.GetValue(model)));
            string? vocabPath = parse.GetValue(vocab);
            if (vocabPath is not null && parse.GetValue(format) != "sequence")
            {
                throw new CliException("--vocab goes with --format sequence", ExitCodes.Usage);
            }

            byte[] bytes = parse.GetValue(format) switch
            {
                "npy" => Npy(doc),
                "sequence" => Encoding.ASCII.GetBytes(string.Join(' ', TokenSequence.FromDocument(doc)) + "\n"),
                _ => Json(doc),
            };
            if (vocabPath is not null)
            {
                OutputFile.WriteBytes(vocabPath, parse.GetValue(force), TokenSequence.Vocabulary(doc.Header));
            }

            OutputFile.WriteBytes(parse.GetValue(output)!, parse.GetValue(force), bytes);
            return ExitCodes.Success;
        });
        return command;
    }

    private static byte[] Json(VqcDocument doc)
    {
        VqcHeader h = doc.Header;
        var o = new
        {
            kind = h.Kind.ToString().ToLowerInvariant(),
            model = h.ModelId,
            levels = h.Levels.Select((l, i) => new
            {
                level = i,
                codebook = l.CodebookSize,
                shape = h.Kind == MediaKind.Image ? new[] { l.GridHeight, l.GridWidth } : [l.GridWidth],
                tokens = doc.Tokens[i],
            }).ToArray(),
        };
        return JsonSerializer.SerializeToUtf8Bytes(o);
    }

    /// <summary>NumPy .npy v1.0: magic, header dict padded with spaces to a 64-byte boundary, little-endian int32 data.</summary>
    internal static byte[] Npy(VqcDocument doc)
    {
        VqcHeader h = doc.Header;
        string shape = h.Kind == MediaKind.Image
            ? $"({h.Levels.Length}, {h.Levels[0].GridHeight}, {h.Levels[0].GridWidth})"
            : $"({h.Levels.Length}, {h.Levels[0].GridWidth})";
        string dict = $"{{'descr': '<i4', 'fortran_order': False, 'shape': {shape}, }}";
        int headerLength = 10 + dict.Length + 1;
        int padded = (headerLength + 63) / 64 * 64;
        dict = dict.PadRight(padded - 10 - 1) + "\n";
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        ms.Write(BitConverter.GetBytes((ushort)dict.Length));
        ms.Write(Encoding.ASCII.GetBytes(dict));
        foreach (int[] level in doc.Tokens)
        {
            foreach (int t in level)
            {
                ms.Write(BitConverter.GetBytes(t));
            }
        }

        return ms.ToArray();
    }
}
