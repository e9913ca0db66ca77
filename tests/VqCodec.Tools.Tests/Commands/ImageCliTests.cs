namespace VqCodec.Tools.Tests;

/// <summary>Bad input to encode/decode: one clear line on stderr, a non-zero exit, and no output file.</summary>
public class ImageCliTests
{
    private static void AssertCleanFailure((int Code, string StdOut, string StdErr) r, string dir, string output)
    {
        Assert.NotEqual(0, r.Code);
        Assert.Single(r.StdErr.Trim().Split('\n'));
        Assert.StartsWith("vqc: ", r.StdErr);
        Assert.DoesNotContain("   at ", r.StdErr);
        Assert.False(File.Exists(Path.Combine(dir, output)), "a partial output was left behind");
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public void NotAnImageIsRejected()
    {
        string dir = CliRunner.TempDir();
        File.WriteAllText(Path.Combine(dir, "notes.png"), "this is not an image");
        AssertCleanFailure(CliRunner.Run(dir, "encode", "notes.png", "-o", "out.vqc"), dir, "out.vqc");
    }

    [Fact]
    public void TruncatedImageIsRejected()
    {
        string dir = CliRunner.TempDir();
        byte[] png = File.ReadAllBytes(Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.png"));
        File.WriteAllBytes(Path.Combine(dir, "cut.png"), png[..(png.Length / 3)]);
        AssertCleanFailure(CliRunner.Run(dir, "encode", "cut.png", "-o", "out.vqc"), dir, "out.vqc");
    }

    [Theory]
    [InlineData("jpg")]
    [InlineData("gif")]
    [InlineData("webp")]
    [InlineData("bmp")]
    public void TruncatedFilesOfEveryReadFormatAreRejected(string ext)
    {
        // ImageSharp alone would decode these with grey rows; the CLI checks each format's end first.
        string dir = CliRunner.TempDir();
        using (var image = new ImageMagick.MagickImage(Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.png")))
        {
            image.Write(Path.Combine(dir, "whole." + ext));
        }

        byte[] whole = File.ReadAllBytes(Path.Combine(dir, "whole." + ext));
        File.WriteAllBytes(Path.Combine(dir, "cut." + ext), whole[..(whole.Length * 2 / 3)]);
        Assert.Equal(0, CliRunner.Run(dir, "encode", "whole." + ext, "-o", "whole.vqc").Code);
        AssertCleanFailure(CliRunner.Run(dir, "encode", "cut." + ext, "-o", "out.vqc"), dir, "out.vqc");
    }

    [Fact]
    public void AbsurdDimensionsAreRefusedBeforeDecoding()
    {
        // A valid PNG signature and IHDR claiming 100000 x 100000 pixels (a decompression bomb).
        string dir = CliRunner.TempDir();
        byte[] ihdr = [0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 2, 0, 0, 0];
        uint crc = System.IO.Hashing.Crc32.HashToUInt32(ihdr.AsSpan(4));
        byte[] file = [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, .. ihdr, (byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc];
        File.WriteAllBytes(Path.Combine(dir, "bomb.png"), file);
        var r = CliRunner.Run(dir, "encode", "bomb.png", "-o", "out.vqc");
        AssertCleanFailure(r, dir, "out.vqc");
    }

    [Fact]
    public void MissingOutputFolderAndMissingInputAreReported()
    {
        string dir = CliRunner.TempDir();
        string sample = Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.png");
        var r = CliRunner.Run(dir, "encode", sample, "-o", Path.Combine("no", "such", "folder", "out.vqc"));
        Assert.Equal(6, r.Code);
        Assert.Contains("does not exist", r.StdErr);
        r = CliRunner.Run(dir, "encode", "missing.png", "-o", "out.vqc");
        AssertCleanFailure(r, dir, "out.vqc");
    }

    [Fact]
    public void ExistingOutputIsNotOverwrittenWithoutForce()
    {
        string dir = CliRunner.TempDir();
        File.WriteAllText(Path.Combine(dir, "out.vqc"), "keep me");
        string sample = Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.png");
        var r = CliRunner.Run(dir, "encode", sample, "-o", "out.vqc");
        Assert.Equal(5, r.Code);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(dir, "out.vqc")));
    }

    [Fact]
    public void DecodingGarbageFailsCleanly()
    {
        string dir = CliRunner.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "junk.vqc"), [1, 2, 3, 4, 5]);
        AssertCleanFailure(CliRunner.Run(dir, "decode", "junk.vqc", "-o", "out.png"), dir, "out.png");
    }

    [Fact]
    public void UsageErrorsExitNonZero()
    {
        var r = CliRunner.Run(CliRunner.TempDir(), "encode");
        Assert.NotEqual(0, r.Code);
        string dir = CliRunner.TempDir();
        string sample = Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.png");
        r = CliRunner.Run(dir, "encode", sample, "-o", "out.vqc", "--refine", "500");
        Assert.Equal(2, r.Code);
        Assert.Contains("refinement steps must be 0..200", r.StdErr);
        Assert.False(File.Exists(Path.Combine(dir, "out.vqc")));
    }
}
