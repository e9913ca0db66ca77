using System.Text.RegularExpressions;

namespace VqCodec.Codec.Tests;

/// <summary>The README's C# blocks are the compiled copies in <see cref="ReadmeSnippets"/>.</summary>
public partial class ReadmeTests
{
    [Fact]
    public void EveryCSharpBlockOfTheReadmeIsCompiledVerbatim()
    {
        string root = Root();
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        string source = File.ReadAllText(Path.Combine(root, "tests", "VqCodec.Codec.Tests", "ReadmeSnippets.cs"));
        var copies = Regex.Matches(source, @"// readme-begin\r?\n(.*?)\r?\n\s*// readme-end", RegexOptions.Singleline)
            .Select(m => Normalize(m.Groups[1].Value)).ToList();
        string[] usings = [.. source.Split('\n').Select(l => l.Trim()).Where(l => UsingDirective().IsMatch(l))];
        var blocks = Regex.Matches(readme, @"```csharp\r?\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(blocks);
        foreach (string block in blocks)
        {
            string[] lines = [.. block.Split('\n').Select(l => l.Trim())];
            foreach (string directive in lines.Where(l => UsingDirective().IsMatch(l)))
            {
                Assert.Contains(directive, usings);
            }

            string body = Normalize(string.Join('\n', lines.Where(l => !UsingDirective().IsMatch(l))));
            Assert.True(copies.Contains(body), $"README block not copied verbatim into ReadmeSnippets.cs:\n{body}");
        }
    }

    private static string Normalize(string text) =>
        string.Join('\n', text.Split('\n').Select(l => l.Trim()).SkipWhile(l => l.Length == 0).Reverse().SkipWhile(l => l.Length == 0).Reverse());

    private static string Root()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "VqCodec.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("repository root not found");
    }

    [GeneratedRegex(@"^using [A-Za-z0-9_.]+;$")]
    private static partial Regex UsingDirective();
}
