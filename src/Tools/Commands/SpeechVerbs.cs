using VqCodec.Container;

namespace VqCodec.Tools.Commands;

/// <summary>Speech encode/decode/export for the verbs that accept both media.</summary>
internal static class SpeechVerbs
{
    private const string Missing = "speech coding needs the speech model, which this build does not include yet";

    public static void Encode(string input, string output, int? levels, double? kbps, TokenCodingPolicy policy, bool force, CancellationToken token) =>
        throw new CliException($"{input}: {Missing}");

    public static void Decode(string input, byte[] data, string output, bool originalRate, bool force, CancellationToken token) =>
        throw new CliException($"{input}: {Missing}");

    public static byte[] Export(string checkpoint, string data, string id, ConsoleProgress log, CancellationToken token) =>
        throw new CliException(Missing);
}
