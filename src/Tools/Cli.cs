using System.CommandLine;
using VqCodec.Container;

namespace VqCodec.Tools;

/// <summary>The one place that maps exceptions to exit codes and one-line messages on stderr.</summary>
internal static class Cli
{
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0 && !args.Any(a => a is "-h" or "--help" or "-?"))
        {
            // One line, exit 2, as for every other usage error (System.CommandLine would print every error and the help).
            string verb = parse.CommandResult.Command == root ? "vqc" : $"vqc {parse.CommandResult.Command.Name}";
            Console.Error.WriteLine($"vqc: {Printable(parse.Errors[0].Message)} (see '{verb} --help')");
            return ExitCodes.Usage;
        }

        // An argument that looks like an option and names no file is a mistyped option, not an input.
        string? stray = parse.CommandResult.Children.OfType<System.CommandLine.Parsing.ArgumentResult>()
            .SelectMany(a => a.Tokens).Select(t => t.Value)
            .FirstOrDefault(v => v.Length > 1 && v[0] == '-' && !File.Exists(v) && !Directory.Exists(v));
        if (stray is not null)
        {
            Console.Error.WriteLine($"vqc: unknown option '{Printable(stray)}' (see 'vqc {parse.CommandResult.Command.Name} --help')");
            return ExitCodes.Usage;
        }

        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        try
        {
            return await parse.InvokeAsync(config);
        }
        catch (Exception ex)
        {
            (int code, string message) = Map(ex);
            Console.Error.WriteLine($"vqc: {Printable(message)}");
            return code;
        }
    }

    /// <summary>
    /// <paramref name="text"/> with every control character (C0, DEL, C1, line and paragraph separators) shown as
    /// an escape such as \x1B or \n, so a string from a file (a model id, metadata) cannot move the cursor, change
    /// colours or break the one-line error format.
    /// </summary>
    public static string Printable(string text)
    {
        if (!text.Any(IsUnsafe))
        {
            return text;
        }

        var sb = new System.Text.StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            sb.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when IsUnsafe(c) => c < 0x100 ? $"\\x{(int)c:X2}" : $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }

    private static bool IsUnsafe(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';

    /// <summary>The exit code an exception maps to.</summary>
    public static int ExitCodeOf(Exception ex) => Map(ex).Code;

    /// <summary>The one-line message an exception maps to.</summary>
    public static string MessageOf(Exception ex) => Map(ex).Message;

    private static (int Code, string Message) Map(Exception ex) => ex switch
    {
        CliException c => (c.ExitCode, c.Message),
        VqcFormatException f => (ExitCodes.InvalidData, f.Message),
        ModelMismatchException m => (ExitCodes.ModelMismatch, m.Message),
        InvalidDataException d => (ExitCodes.InvalidData, d.Message),
        OperationCanceledException => (ExitCodes.Cancelled, "cancelled"),
        FileNotFoundException f => (ExitCodes.IoError, f.Message),
        DirectoryNotFoundException d => (ExitCodes.IoError, d.Message),
        UnauthorizedAccessException u => (ExitCodes.IoError, u.Message),
        IOException io => (ExitCodes.IoError, io.Message),
        ArgumentException a => (ExitCodes.Usage, a.Message),
        OutOfMemoryException => (ExitCodes.Failure, "out of memory"),
        _ => (ExitCodes.Failure, $"{ex.GetType().Name}: {ex.Message}"),
    };
}
