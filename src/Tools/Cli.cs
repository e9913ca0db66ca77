using System.CommandLine;
using VqCodec.Container;

namespace VqCodec.Tools;

/// <summary>The one place that maps exceptions to exit codes and one-line messages on stderr.</summary>
internal static class Cli
{
    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        ParseResult parse = root.Parse(args);
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        try
        {
            return await parse.InvokeAsync(config);
        }
        catch (Exception ex)
        {
            (int code, string message) = Map(ex);
            Console.Error.WriteLine($"vqc: {message}");
            return code;
        }
    }

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
