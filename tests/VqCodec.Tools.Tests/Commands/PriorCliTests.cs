using System.Text.Json;

namespace VqCodec.Tools.Tests;

/// <summary>The learned token prior through the CLI: generation, the token-sequence export and determinism across instruction sets.</summary>
public class PriorCliTests
{
    private static readonly Dictionary<string, string> NoIntrinsics = new() { ["DOTNET_EnableHWIntrinsic"] = "0" };

    [Fact]
    public void GeneratedSpeechIsContextCodedAndDecodesIdenticallyWithoutHardwareIntrinsics()
    {
        string dir = CliRunner.TempDir();
        string vqc = Path.Combine(dir, "babble.vqc");
        var gen = CliRunner.Run(dir, "generate", "speech", "-o", vqc, "--seconds", "2.5", "--levels", "6", "--seed", "7");
        Assert.True(gen.Code == 0, gen.StdErr);
        var info = CliRunner.Run(dir, "info", vqc);
        Assert.Contains("RansContext", info.StdOut);

        // The same file gives the same tokens and the same audio with and without SIMD (the prior is integer-only).
        string[] tokens = ["tokens", vqc, "--format", "sequence", "-o"];
        var a = CliRunner.RunProcess("dotnet", dir, [CliRunner.VqcDll, .. tokens, Path.Combine(dir, "a.txt")], 120_000);
        var b = CliRunner.RunProcess("dotnet", dir, [CliRunner.VqcDll, .. tokens, Path.Combine(dir, "b.txt")], 120_000, NoIntrinsics);
        Assert.True(a.Code == 0 && b.Code == 0, a.StdErr + b.StdErr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "a.txt")), File.ReadAllBytes(Path.Combine(dir, "b.txt")));
        var da = CliRunner.RunProcess("dotnet", dir, [CliRunner.VqcDll, "decode", vqc, "-o", Path.Combine(dir, "a.wav")], 120_000);
        var db = CliRunner.RunProcess("dotnet", dir, [CliRunner.VqcDll, "decode", vqc, "-o", Path.Combine(dir, "b.wav")], 120_000, NoIntrinsics);
        Assert.True(da.Code == 0 && db.Code == 0, da.StdErr + db.StdErr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "a.wav")), File.ReadAllBytes(Path.Combine(dir, "b.wav")));

        // And the same seed gives the same file.
        string again = Path.Combine(dir, "again.vqc");
        Assert.Equal(0, CliRunner.Run(dir, "generate", "speech", "-o", again, "--seconds", "2.5", "--levels", "6", "--seed", "7").Code);
        Assert.Equal(File.ReadAllBytes(vqc), File.ReadAllBytes(again));
    }

    [Fact]
    public void AnImageIsGridContextCodedAndDecodesIdenticallyWithoutHardwareIntrinsics()
    {
        string dir = CliRunner.TempDir();
        string sample = Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.png");
        string vqc = Path.Combine(dir, "sample.vqc");
        var enc = CliRunner.Run(dir, "encode", sample, "-o", vqc, "--levels", "3");
        Assert.True(enc.Code == 0, enc.StdErr);
        Assert.Equal(3, File.ReadAllBytes(vqc)[9]); // format 1.3
        Assert.Contains("RansContext", CliRunner.Run(dir, "info", vqc).StdOut);

        string[] tokens = ["tokens", vqc, "--format", "sequence", "-o"];
        var a = CliRunner.RunProcess("dotnet", dir, [CliRunner.VqcDll, .. tokens, Path.Combine(dir, "a.txt")], 120_000);
        var b = CliRunner.RunProcess("dotnet", dir, [CliRunner.VqcDll, .. tokens, Path.Combine(dir, "b.txt")], 120_000, NoIntrinsics);
        Assert.True(a.Code == 0 && b.Code == 0, a.StdErr + b.StdErr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "a.txt")), File.ReadAllBytes(Path.Combine(dir, "b.txt")));

        // A texture sampled from the image prior, as tokens and as pixels.
        string texture = Path.Combine(dir, "texture.png");
        var gen = CliRunner.Run(dir, "generate", "image", "-o", texture, "--width", "96", "--height", "64", "--levels", "2", "--seed", "4");
        Assert.True(gen.Code == 0, gen.StdErr);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(texture)[..4]);
        Assert.Equal(2, CliRunner.Run(dir, "generate", "image", "-o", Path.Combine(dir, "t.xyz")).Code);
        Assert.Equal(2, CliRunner.Run(dir, "generate", "image", "-o", Path.Combine(dir, "t.png"), "--width", "8").Code);
    }

    [Fact]
    public void TheSequenceExportFollowsTheDocumentedLayout()
    {
        string dir = CliRunner.TempDir();
        string vqc = Path.Combine(dir, "g.vqc");
        Assert.Equal(0, CliRunner.Run(dir, "generate", "speech", "-o", vqc, "--seconds", "1.5", "--levels", "3", "--seed", "2").Code);
        var r = CliRunner.Run(dir, "tokens", vqc, "--format", "sequence", "-o", Path.Combine(dir, "seq.txt"), "--vocab", Path.Combine(dir, "vocab.json"));
        Assert.True(r.Code == 0, r.StdErr);
        int[] ids = [.. File.ReadAllText(Path.Combine(dir, "seq.txt")).Trim().Split(' ').Select(int.Parse)];
        // <bos> <speech>, two segments (50 + 25 frames) each opened by <segment>, 3 ids per frame, <eos>.
        Assert.Equal(2 + 2 + (75 * 3) + 1, ids.Length);
        Assert.Equal([1, 4, 7], ids[..3]);
        Assert.Equal(7, ids[3 + (50 * 3)]);
        Assert.Equal(2, ids[^1]);
        for (int i = 0; i < 50 * 3; i++)
        {
            int level = i % 3;
            Assert.InRange(ids[3 + i], 16 + (level * 1024), 16 + ((level + 1) * 1024) - 1);
        }

        using JsonDocument vocab = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "vocab.json")));
        Assert.Equal(16 + (3 * 1024), vocab.RootElement.GetProperty("size").GetInt32());
        Assert.Equal(7, vocab.RootElement.GetProperty("special").GetProperty("<segment>").GetInt32());
        Assert.Equal(16 + 1024, vocab.RootElement.GetProperty("levels")[1].GetProperty("first_id").GetInt32());
    }

    [Fact]
    public void GenerateWritesSpeechAndRefusesWhatItCannotWrite()
    {
        string dir = CliRunner.TempDir();
        string wav = Path.Combine(dir, "babble.wav");
        var r = CliRunner.Run(dir, "generate", "speech", "-o", wav, "--seconds", "2", "--seed", "3");
        Assert.True(r.Code == 0, r.StdErr);
        byte[] bytes = File.ReadAllBytes(wav);
        Assert.Equal(44 + (2 * 32000), bytes.Length);
        double sum = 0;
        for (int i = 44; i < bytes.Length; i += 2)
        {
            double v = BitConverter.ToInt16(bytes, i) / 32768.0;
            sum += v * v;
        }

        Assert.True(Math.Sqrt(sum / 32000) > 0.003, "generated speech is silent");
        Assert.Equal(2, CliRunner.Run(dir, "generate", "speech", "-o", Path.Combine(dir, "x.mp3")).Code);
        Assert.Equal(2, CliRunner.Run(dir, "generate", "speech", "-o", Path.Combine(dir, "y.wav"), "--seconds", "0").Code);
        Assert.Equal(2, CliRunner.Run(dir, "generate", "speech", "-o", Path.Combine(dir, "y.wav"), "--levels", "17").Code);
        Assert.NotEqual(0, CliRunner.Run(dir, "generate", "speech", "-o", wav).Code); // exists, no --force
        string golden = Path.Combine(CliRunner.RepositoryRoot, "spec", "examples", "speech-segments.vqc");
        Assert.Equal(2, CliRunner.Run(dir, "tokens", golden, "--vocab", Path.Combine(dir, "v.json")).Code); // --vocab without --format sequence
    }
}
