namespace VqCodec.Tools.Tests;

public class ContainerCliTests
{
    private static string Golden(string name) => Path.Combine(CliRunner.RepositoryRoot, "spec", "examples", name);

    [Fact]
    public void InfoPrintsTheHeaderAndJson()
    {
        var (code, stdout, _) = CliRunner.Run(CliRunner.RepositoryRoot, "info", Golden("speech-segments.vqc"));
        Assert.Equal(0, code);
        Assert.Contains("speech 16000 Hz", stdout);
        (code, stdout, _) = CliRunner.Run(CliRunner.RepositoryRoot, "info", Golden("image-adaptive.vqc"), "--json");
        Assert.Equal(0, code);
        Assert.Contains("\"width\": 120", stdout);
        Assert.Contains("\"bitsPerPixel\"", stdout);
    }

    [Fact]
    public void VerifyPassesGoodFilesAndFailsBadOnesWithOneLine()
    {
        string dir = CliRunner.TempDir();
        var (code, stdout, _) = CliRunner.Run(dir, "verify", Golden("image-adaptive.vqc"), Golden("image-lz4.vqc"));
        Assert.Equal(0, code);
        Assert.Contains("OK", stdout);
        byte[] bytes = File.ReadAllBytes(Golden("image-lz4.vqc"));
        bytes[100] ^= 4;
        File.WriteAllBytes(Path.Combine(dir, "bad.vqc"), bytes);
        File.WriteAllBytes(Path.Combine(dir, "empty.vqc"), []);
        foreach (string bad in new[] { "bad.vqc", "empty.vqc" })
        {
            string stderr;
            (code, _, stderr) = CliRunner.Run(dir, "verify", bad);
            Assert.NotEqual(0, code);
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.DoesNotContain("   at ", stderr);
        }
    }

    [Fact]
    public void TokensExportsJsonAndNpy()
    {
        string dir = CliRunner.TempDir();
        var (code, _, stderr) = CliRunner.Run(dir, "tokens", Golden("image-adaptive.vqc"), "--format", "npy", "-o", "t.npy");
        Assert.True(code == 0, stderr);
        byte[] npy = File.ReadAllBytes(Path.Combine(dir, "t.npy"));
        Assert.Equal(0x93, npy[0]);
        string header = System.Text.Encoding.ASCII.GetString(npy, 10, BitConverter.ToUInt16(npy, 8));
        Assert.Contains("'shape': (3, 5, 8)", header);
        Assert.Equal(0, (10 + header.Length) % 64);
        Assert.Equal(10 + header.Length + (3 * 5 * 8 * 4), npy.Length);
        string json;
        (code, json, _) = CliRunner.Run(dir, "tokens", Golden("image-adaptive.vqc"));
        Assert.Equal(0, code);
        Assert.Contains("\"codebook\":1024", json);
    }

    [Fact]
    public void TruncateWritesAValidLowerRateFileAndRespectsForce()
    {
        string dir = CliRunner.TempDir();
        var (code, _, stderr) = CliRunner.Run(dir, "truncate", Golden("image-adaptive.vqc"), "--levels", "1", "-o", "low.vqc");
        Assert.True(code == 0, stderr);
        Assert.True(new FileInfo(Path.Combine(dir, "low.vqc")).Length < new FileInfo(Golden("image-adaptive.vqc")).Length);
        (code, _, _) = CliRunner.Run(dir, "verify", "low.vqc");
        Assert.Equal(0, code);
        long before = new FileInfo(Path.Combine(dir, "low.vqc")).Length;
        (code, _, stderr) = CliRunner.Run(dir, "truncate", Golden("image-adaptive.vqc"), "--levels", "2", "-o", "low.vqc");
        Assert.Equal(5, code);
        Assert.Contains("--force", stderr);
        Assert.Equal(before, new FileInfo(Path.Combine(dir, "low.vqc")).Length);
        (code, _, _) = CliRunner.Run(dir, "truncate", Golden("image-adaptive.vqc"), "--levels", "2", "-o", "low.vqc", "--force");
        Assert.Equal(0, code);
    }
}
