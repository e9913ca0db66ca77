namespace VqCodec.Tools;

/// <summary>An error to report as one line on stderr with a given exit code.</summary>
internal sealed class CliException : Exception
{
    public CliException(string message, int exitCode = ExitCodes.Failure)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; }
}
