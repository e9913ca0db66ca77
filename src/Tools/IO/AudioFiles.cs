using System.Diagnostics;
using VqCodec.Tools.Reference;

namespace VqCodec.Tools.IO;

/// <summary>
/// Audio files in: WAV through the project's reader; FLAC, Ogg/Opus, MP3 and M4A through Debian's ffmpeg when
/// it is installed (no NuGet package here reads FLAC), decoded to 16-bit mono PCM at the rate asked for.
/// </summary>
internal static class AudioFiles
{
    /// <summary>Extensions read as audio.</summary>
    public static readonly string[] Extensions = [".wav", ".flac", ".ogg", ".opus", ".mp3", ".m4a"];

    public static bool IsWav(string path) => Path.GetExtension(path).Equals(".wav", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads an audio file down-mixed to mono at <paramref name="rate"/> Hz.</summary>
    /// <exception cref="CliException">Missing file, ffmpeg missing for a compressed format, or undecodable audio.</exception>
    public static float[] ReadMono(string path, int rate)
    {
        if (IsWav(path))
        {
            return WavReader.ReadMono(path, rate);
        }

        if (!File.Exists(path))
        {
            throw new CliException($"{path}: no such file", ExitCodes.IoError);
        }

        if (!ReferenceSpeechCodec.Installed("ffmpeg"))
        {
            throw new CliException($"{path}: {Path.GetExtension(path)} audio is read through ffmpeg, which is not installed (apt-get install ffmpeg); or convert it to WAV", ExitCodes.Usage);
        }

        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-nostdin", "-v", "error", "-i", path, "-ac", "1", "-ar", rate.ToString(System.Globalization.CultureInfo.InvariantCulture), "-f", "s16le", "-" })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new CliException("cannot start ffmpeg");
        Task<string> err = p.StandardError.ReadToEndAsync();
        using var pcm = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(pcm);
        p.WaitForExit();
        if (p.ExitCode != 0 || pcm.Length < 2)
        {
            throw new CliException($"{path}: not decodable audio ({err.Result.Split('\n')[0].Trim()})", ExitCodes.InvalidData);
        }

        return FromPcm16(pcm.ToArray());
    }

    /// <summary>Little-endian signed 16-bit samples as floats in [−1, 1).</summary>
    public static float[] FromPcm16(byte[] b)
    {
        var x = new float[b.Length / 2];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (short)(b[2 * i] | (b[(2 * i) + 1] << 8)) / 32768f;
        }

        return x;
    }
}
