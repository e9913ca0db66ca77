using System.CommandLine;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc bench ...`: rate-distortion and speed measurements.</summary>
internal static class BenchCommand
{
    public static Command Create() => new("bench", "Rate-distortion and speed measurements.")
    {
        BenchImageCommand.Create(),
        BenchQuantizersCommand.Create(),
        BenchSpeechCommand.Create(),
        BenchTokensCommand.Create(),
    };
}
