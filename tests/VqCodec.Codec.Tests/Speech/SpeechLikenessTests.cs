using VqCodec.Codec.Speech;

namespace VqCodec.Codec.Tests;

/// <summary>The not-speech warning: steady tones are flagged, speech never (on the validation speech when present).</summary>
public class SpeechLikenessTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void SteadyTonesAreFlaggedAndAMovingVoiceIsNot()
    {
        var tones = new float[16000 * 3];
        for (int i = 0; i < tones.Length; i++)
        {
            tones[i] = (float)(0.3 * (Math.Sin(2 * Math.PI * 440 * i / 16000) + Math.Sin(2 * Math.PI * 660 * i / 16000)));
        }

        Assert.NotNull(SpeechLikeness.Problem(tones, 16000));
        Assert.Null(SpeechLikeness.Problem(TinyModels.Voice(3.0), 16000));
        Assert.Null(SpeechLikeness.Problem(new float[16000], 16000));
    }

    [Fact]
    public void NoValidationSpeechFileIsFlagged()
    {
        string? root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "VqCodec.sln")))
        {
            root = Path.GetDirectoryName(root);
        }

        string dir = Path.Combine(root ?? ".", "..", "shared", "data", "speech", "valid");
        if (!Directory.Exists(dir))
        {
            output.WriteLine($"NOT RUN: {dir} is absent (the shared data lives beside the repository)");
            return;
        }

        foreach (string file in Directory.GetFiles(dir, "*.wav"))
        {
            byte[] wav = File.ReadAllBytes(file);
            var pcm = new float[(wav.Length - 44) / 2];
            for (int i = 0; i < pcm.Length; i++)
            {
                pcm[i] = BitConverter.ToInt16(wav, 44 + (2 * i)) / 32768f;
            }

            Assert.True(SpeechLikeness.Problem(pcm, 16000) is null, Path.GetFileName(file));
        }
    }
}
