namespace VqCodec.Tools.Tests;

/// <summary>The CLI with the model embedded in the library (trait Category=Pretrained).</summary>
[Trait("Category", "Pretrained")]
public class PretrainedCliTests
{
    [Fact]
    public void EncodeInfoVerifyDecodeRoundTripOnTheBundledSample()
    {
        string dir = CliRunner.TempDir();
        string sample = Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.png");
        var r = CliRunner.Run(dir, "encode", sample, "-o", "s.vqc", "--levels", "8");
        Assert.True(r.Code == 0, r.StdErr);
        Assert.Contains("8 levels", r.StdErr);
        r = CliRunner.Run(dir, "info", "s.vqc", "--json");
        Assert.Equal(0, r.Code);
        Assert.Contains("\"model\": \"vqc-image-v1\"", r.StdOut);
        r = CliRunner.Run(dir, "verify", "s.vqc");
        Assert.Equal(0, r.Code);
        Assert.DoesNotContain("priors unknown", r.StdOut);
        r = CliRunner.Run(dir, "decode", "s.vqc", "-o", "s.png");
        Assert.True(r.Code == 0, r.StdErr);
        Assert.True(new FileInfo(Path.Combine(dir, "s.png")).Length > 1000);
        r = CliRunner.Run(dir, "encode", sample, "-o", "low.vqc", "--bpp", "0.1");
        Assert.True(r.Code == 0, r.StdErr);
        Assert.True(new FileInfo(Path.Combine(dir, "low.vqc")).Length * 8.0 / (768 * 512) <= 0.1 || r.StdErr.Contains(" 1 levels", StringComparison.Ordinal));
    }

    [Fact]
    public void DefaultEncodeAddsADetailLayerThatDecodesAndCanBeDropped()
    {
        string dir = CliRunner.TempDir();
        string sample = Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.png");
        var r = CliRunner.Run(dir, "encode", sample, "-o", "d.vqc");
        Assert.True(r.Code == 0, r.StdErr);
        Assert.Contains("2 levels + detail step 32", r.StdErr);
        r = CliRunner.Run(dir, "info", "d.vqc");
        Assert.Equal(0, r.Code);
        Assert.Matches(@"detail:\s+\d+ bytes \(DETL syntax 3\), luma step 32, chroma step 32, \d+ of \d+ blocks coded, \d+ 16x16 and \d+ 32x32", r.StdOut);
        r = CliRunner.Run(dir, "verify", "d.vqc");
        Assert.True(r.Code == 0, r.StdErr);
        Assert.Contains("a detail layer of", r.StdOut);

        // A detail payload cut short inside well-formed framing (its chunk checksum right): verify walks its blocks.
        var document = VqCodec.Container.VqcDocument.Read(new MemoryStream(File.ReadAllBytes(Path.Combine(dir, "d.vqc"))), VqCodec.Codec.Models.ModelCatalog.FindPriors);
        using (FileStream cut = File.Create(Path.Combine(dir, "cut.vqc")))
        {
            new VqCodec.Container.VqcDocument(document.Header, document.Tokens, document.Metadata, document.Detail![..(document.Detail.Length / 3)], document.Restoration).Write(cut, new VqCodec.Container.VqcWriterOptions { Priors = VqCodec.Codec.Models.ModelCatalog.FindPriors(document.Header) });
        }

        r = CliRunner.Run(dir, "verify", "cut.vqc");
        Assert.Equal(3, r.Code);
        Assert.Contains("detail layer is truncated or corrupt", r.StdErr);
        Assert.Single(r.StdErr.Trim().Split('\n'));

        r = CliRunner.Run(dir, "decode", "d.vqc", "-o", "d.png");
        Assert.True(r.Code == 0, r.StdErr);

        // Without the restorer the block edges are deblocked unless --no-deblock asks for the normative pixels.
        r = CliRunner.Run(dir, "decode", "d.vqc", "-o", "fast.bmp", "--no-restore");
        Assert.True(r.Code == 0, r.StdErr);
        r = CliRunner.Run(dir, "decode", "d.vqc", "-o", "raw.bmp", "--no-restore", "--no-deblock");
        Assert.True(r.Code == 0, r.StdErr);
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(dir, "fast.bmp")), File.ReadAllBytes(Path.Combine(dir, "raw.bmp")));

        // Smaller tiles decode the same picture (tiles carry context wider than the networks' reach); a tile size
        // outside 128..4096 or off the 16-pixel grid is a usage error before any work.
        r = CliRunner.Run(dir, "decode", "d.vqc", "-o", "d256.png", "--tile", "256");
        Assert.True(r.Code == 0, r.StdErr);
        Assert.True(new FileInfo(Path.Combine(dir, "d256.png")).Length > 1000);
        r = CliRunner.Run(dir, "decode", "d.vqc", "-o", "bad.png", "--tile", "100");
        Assert.Equal(2, r.Code);
        Assert.Contains("--tile must be a multiple of 16", r.StdErr);
        Assert.False(File.Exists(Path.Combine(dir, "bad.png")));
        r = CliRunner.Run(dir, "truncate", "d.vqc", "--drop-detail", "-o", "t.vqc");
        Assert.True(r.Code == 0, r.StdErr);
        Assert.Contains("detail layer dropped", r.StdErr);
        Assert.True(new FileInfo(Path.Combine(dir, "t.vqc")).Length < new FileInfo(Path.Combine(dir, "d.vqc")).Length);
        r = CliRunner.Run(dir, "info", "t.vqc");
        Assert.Contains("detail:    none", r.StdOut);

        r = CliRunner.Run(dir, "encode", sample, "-o", "b.vqc", "--bpp", "0.3");
        Assert.True(r.Code == 0, r.StdErr);
        Assert.Contains("detail step", r.StdErr);
        Assert.InRange(new FileInfo(Path.Combine(dir, "b.vqc")).Length * 8.0 / (768 * 512), 0.285, 0.3);

        r = CliRunner.Run(dir, "encode", sample, "-o", "x.vqc", "--detail", "1");
        Assert.Equal(2, r.Code);
        Assert.Contains("--detail must be", r.StdErr);
        r = CliRunner.Run(dir, "encode", sample, "-o", "x.vqc", "--detail", "20", "--bpp", "0.2");
        Assert.Equal(2, r.Code);
        Assert.False(File.Exists(Path.Combine(dir, "x.vqc")));
    }

    [Fact]
    public void DecodingWithAnotherModelFileIsAModelMismatch()
    {
        string dir = CliRunner.TempDir();
        var r = CliRunner.Run(dir, "encode", Path.Combine(CliRunner.RepositoryRoot, "samples", "sample.png"), "-o", "s.vqc", "--levels", "2");
        Assert.True(r.Code == 0, r.StdErr);
        byte[] bytes = File.ReadAllBytes(Path.Combine(dir, "s.vqc"));
        // Re-label the file with a foreign model hash (and a fresh header CRC) through the library.
        var doc = VqCodec.Container.VqcDocument.Read(new MemoryStream(bytes), VqCodec.Codec.Models.ModelCatalog.FindPriors);
        var forged = new VqCodec.Container.VqcDocument(doc.Header with { ModelHash = new byte[32] }, doc.Tokens);
        using (var f = File.Create(Path.Combine(dir, "forged.vqc")))
        {
            forged.Write(f, new VqCodec.Container.VqcWriterOptions { Priors = VqCodec.Codec.Models.ModelCatalog.FindPriors(doc.Header) });
        }

        r = CliRunner.Run(dir, "decode", "forged.vqc", "-o", "f.png");
        Assert.Equal(4, r.Code);
        Assert.Contains("model", r.StdErr);
        Assert.False(File.Exists(Path.Combine(dir, "f.png")));
    }
}
