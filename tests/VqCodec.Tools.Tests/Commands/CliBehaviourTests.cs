using VqCodec.Container;

namespace VqCodec.Tools.Tests;

/// <summary>The CLI's promises: one-line usage errors with exit 2, no input destroyed, batches that go on, safe output.</summary>
public class CliBehaviourTests
{
    private static string Sample => Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.png");

    private static void AssertOneLine(string stderr)
    {
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("vqc: ", stderr);
    }

    [Theory]
    [InlineData("encode", "--bogus")]
    [InlineData("encode", "x.png", "-o")]
    [InlineData("decode")]
    [InlineData("no-such-verb")]
    [InlineData("encode", "x.png", "-o", "x.vqc", "--levels", "many")]
    public void ParseErrorsAreOneLineWithExitCode2(params string[] args)
    {
        var r = CliRunner.Run(CliRunner.TempDir(), args);
        Assert.Equal(2, r.Code);
        AssertOneLine(r.StdErr);
    }

    [Fact]
    public void AnUnknownOptionAfterTheInputsIsNotTakenForAFile()
    {
        string dir = CliRunner.TempDir();
        var r = CliRunner.Run(dir, "encode", Sample, "-o", "x.vqc", "--nonsense");
        Assert.Equal(2, r.Code);
        AssertOneLine(r.StdErr);
        Assert.False(File.Exists(Path.Combine(dir, "x.vqc")));
    }

    [Theory]
    [InlineData("--bpp", "0")]
    [InlineData("--bpp", "-3")]
    [InlineData("--bpp", "NaN")]
    [InlineData("--kbps", "0")]
    [InlineData("--kbps", "-3")]
    [InlineData("--kbps", "NaN")]
    public void InvalidRateValuesAreUsageErrors(string option, string value)
    {
        string dir = CliRunner.TempDir();
        var r = CliRunner.Run(dir, "encode", Sample, "-o", "x.vqc", option, value);
        Assert.Equal(2, r.Code);
        AssertOneLine(r.StdErr);
    }

    [Fact]
    public void RateOptionsOfTheOtherMediumAreUsageErrors()
    {
        string dir = CliRunner.TempDir();
        var r = CliRunner.Run(dir, "encode", Sample, "-o", "x.vqc", "--kbps", "3");
        Assert.Equal(2, r.Code);
        Assert.Contains("speech option", r.StdErr);
        string wav = Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.wav");
        r = CliRunner.Run(dir, "encode", wav, "-o", "y.vqc", "--bpp", "0.3");
        Assert.Equal(2, r.Code);
        Assert.Contains("image options", r.StdErr);
    }

    [Fact]
    public void OutputEqualToTheInputIsRefusedEvenWithForce()
    {
        string dir = CliRunner.TempDir();
        string copy = Path.Combine(dir, "photo.png");
        File.Copy(Sample, copy);
        byte[] before = File.ReadAllBytes(copy);
        var r = CliRunner.Run(dir, "encode", "photo.png", "-o", "photo.png", "--force", "--levels", "1");
        Assert.Equal(2, r.Code);
        AssertOneLine(r.StdErr);
        Assert.Equal(before, File.ReadAllBytes(copy));
    }

    [Fact]
    public void AnUnwritableOutputFolderFailsBeforeTheWork()
    {
        var r = CliRunner.Run(CliRunner.TempDir(), "encode", Sample, "-o", "/proc/out.vqc", "--levels", "1");
        Assert.Equal(6, r.Code);
        AssertOneLine(r.StdErr);
        Assert.Contains("cannot write", r.StdErr);
    }

    [Fact]
    public void ABatchCreatesItsOutputFolderGoesOnPastABadFileAndNamesIt()
    {
        string dir = CliRunner.TempDir();
        string inputs = Path.Combine(dir, "in");
        Directory.CreateDirectory(inputs);
        File.Copy(Sample, Path.Combine(inputs, "a.png"));
        File.WriteAllText(Path.Combine(inputs, "b.png"), "not an image");
        var r = CliRunner.Run(dir, "encode", "in", "-o", "out/", "--levels", "1");
        Assert.Equal(3, r.Code);
        Assert.Contains("[1 of 2]", r.StdErr);
        Assert.Contains("[2 of 2]", r.StdErr);
        Assert.Contains("1 of 2 inputs failed", r.StdErr);
        Assert.Contains("b.png", r.StdErr.Trim().Split('\n')[^1]);
        Assert.True(File.Exists(Path.Combine(dir, "out", "a.vqc")));
        Assert.False(File.Exists(Path.Combine(dir, "out", "b.vqc")));
    }

    [Fact]
    public void StaleTemporariesOfAKilledRunAreRemoved()
    {
        string dir = CliRunner.TempDir();
        string stale = Path.Combine(dir, ".x.vqc.999999999.0123456789abcdef.tmp");
        File.WriteAllText(stale, "left by kill -9");
        var r = CliRunner.Run(dir, "encode", Sample, "-o", "x.vqc", "--levels", "1");
        Assert.True(r.Code == 0, r.StdErr);
        Assert.False(File.Exists(stale));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public void ControlCharactersFromAFileAreEscapedWhenPrinted()
    {
        string dir = CliRunner.TempDir();
        var header = new VqcHeader
        {
            Kind = MediaKind.Image,
            Width = 32,
            Height = 32,
            ModelId = "evil\u001b[2J\nmodel",
            ModelHash = new byte[32],
            PriorsHash = new byte[32],
            Levels = [new TokenLevelLayout(16, 2, 2)],
        };
        using (var f = File.Create(Path.Combine(dir, "evil.vqc")))
        {
            new VqcDocument(header, [[1, 2, 3, 4]]).Write(f);
        }

        var r = CliRunner.Run(dir, "info", "evil.vqc");
        Assert.Equal(0, r.Code);
        Assert.DoesNotContain('\u001b', r.StdOut);
        Assert.Contains("evil\\x1B[2J\\nmodel", r.StdOut);

        r = CliRunner.Run(dir, "decode", "evil.vqc", "-o", "evil.png");
        Assert.Equal(4, r.Code);
        AssertOneLine(r.StdErr);
        Assert.DoesNotContain('\u001b', r.StdErr);
    }

    [Fact]
    public void TruncateWritesWithThePriorsItReadWith()
    {
        // A file coded with a model file's priors (not an embedded model's): truncate reads and writes it with them.
        string dir = CliRunner.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "tiny.vqm"), VqCodec.Fuzz.TinyModels.ImageBundle);
        var r = CliRunner.Run(dir, "encode", Sample, "-o", "t.vqc", "--levels", "3", "--model", "tiny.vqm");
        Assert.True(r.Code == 0, r.StdErr);
        r = CliRunner.Run(dir, "truncate", "t.vqc", "--levels", "1", "-o", "t1.vqc", "--model", "tiny.vqm");
        Assert.True(r.Code == 0, r.StdErr);
        r = CliRunner.Run(dir, "verify", "t1.vqc", "--model", "tiny.vqm");
        Assert.True(r.Code == 0, r.StdOut + r.StdErr);
        r = CliRunner.Run(dir, "truncate", "t.vqc", "--levels", "1", "-o", "t2.vqc");
        Assert.Equal(4, r.Code);
        AssertOneLine(r.StdErr);
    }

    [Fact]
    public void VerifyWalksAFolderAndNamesTheBadFile()
    {
        string dir = CliRunner.TempDir();
        string golden = Path.Combine(CliRunner.RepositoryRoot, "spec", "examples");
        Directory.CreateDirectory(Path.Combine(dir, "files"));
        File.Copy(Path.Combine(golden, "image-lz4.vqc"), Path.Combine(dir, "files", "good.vqc"));
        byte[] bad = File.ReadAllBytes(Path.Combine(golden, "image-lz4.vqc"));
        bad[^30] ^= 0x10;
        File.WriteAllBytes(Path.Combine(dir, "files", "bad.vqc"), bad);
        var r = CliRunner.Run(dir, "verify", "files");
        Assert.Equal(3, r.Code);
        Assert.Contains("good.vqc: OK", r.StdOut);
        Assert.Contains("bad.vqc", r.StdErr);
        File.Delete(Path.Combine(dir, "files", "bad.vqc"));
        Assert.Equal(0, CliRunner.Run(dir, "verify", "files").Code);
    }

    [Fact]
    public void DecodeLimitsAreOptionsOfTheCli()
    {
        string dir = CliRunner.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "tiny.vqm"), VqCodec.Fuzz.TinyModels.ImageBundle);
        var r = CliRunner.Run(dir, "encode", Sample, "-o", "i.vqc", "--levels", "1", "--model", "tiny.vqm");
        Assert.True(r.Code == 0, r.StdErr);
        r = CliRunner.Run(dir, "decode", "i.vqc", "-o", "i.png", "--model", "tiny.vqm", "--max-pixels", "1000");
        Assert.Equal(3, r.Code);
        AssertOneLine(r.StdErr);
        Assert.Contains("limit", r.StdErr);
        Assert.False(File.Exists(Path.Combine(dir, "i.png")));
        r = CliRunner.Run(dir, "decode", "i.vqc", "-o", "i.png", "--model", "tiny.vqm");
        Assert.True(r.Code == 0, r.StdErr);
    }

    [Fact]
    public void TheDemoDoesNotWriteIntoAFolderItDidNotMake()
    {
        string dir = CliRunner.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "mine"));
        File.WriteAllText(Path.Combine(dir, "mine", "notes.txt"), "a user's file");
        var r = CliRunner.Run(CliRunner.RepositoryRoot, "demo", "-o", Path.Combine(dir, "mine"));
        Assert.Equal(5, r.Code);
        AssertOneLine(r.StdErr);
        Assert.Equal(["notes.txt"], Directory.GetFiles(Path.Combine(dir, "mine")).Select(Path.GetFileName));
    }
}
