namespace VqCodec.Tools.Tests;

/// <summary>
/// The library as a media app takes it: `dotnet pack` the two libraries into a folder feed, build the consumer
/// app of samples/consumer outside this repository (so none of the repository's build files apply) against it,
/// and run it: it loads TorchSharp through the fix the package carries, and encodes and decodes an image and
/// speech with the embedded models.
/// </summary>
[Trait("Category", "Packaging")]
public class PackagingTests
{
    private static (int Code, string Output) Dotnet(string workingDirectory, params string[] args)
    {
        var r = CliRunner.RunProcess("dotnet", workingDirectory, args, 600_000);
        return (r.Code, r.StdOut + r.StdErr);
    }

    [Fact]
    public void AConsumerBuiltFromThePackedPackagesEncodesAndDecodes()
    {
        string root = CliRunner.RepositoryRoot;
        string work = CliRunner.TempDir();
        string feed = Path.Combine(work, "feed");
        string version = $"0.0.0-test{DateTime.UtcNow:yyyyMMddHHmmss}{Environment.ProcessId}";
        foreach (string project in new[] { "src/Container/VqCodec.Container.csproj", "src/Codec/VqCodec.Codec.csproj" })
        {
            var pack = Dotnet(root, "pack", project, "-c", "Release", "--no-build", "-o", feed, $"-p:Version={version}");
            Assert.True(pack.Code == 0, pack.Output);
        }

        string app = Path.Combine(work, "app");
        Directory.CreateDirectory(app);
        foreach (string name in new[] { "Consumer.csproj", "Program.cs" })
        {
            File.Copy(Path.Combine(root, "samples", "consumer", name), Path.Combine(app, name));
        }

        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="vqcodec-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        try
        {
            var run = Dotnet(app, "run", "-c", "Release", $"-p:VqCodecVersion={version}");
            Assert.True(run.Code == 0, run.Output);
            Assert.Contains("consumer ok", run.Output);
            Assert.Contains("Marked GLIBCXX_3.4.32 weak", Dotnet(app, "build", "-c", "Release", "--no-incremental", $"-p:VqCodecVersion={version}", "-v:n").Output);
        }
        finally
        {
            string cached = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (string id in new[] { "vqcodec.codec", "vqcodec.container" })
            {
                string dir = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? cached, id, version);
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, true);
                }
            }
        }
    }

    [Fact]
    public void AnAppOutsideTheRepositoryWithAProjectReferenceLoadsTorchSharp()
    {
        // No buildTransitive targets flow through a ProjectReference: the library fixes the app's copy of the
        // TorchSharp glue itself when it loads (TorchSharpNativeFix), before TorchSharp does.
        string root = CliRunner.RepositoryRoot;
        string app = Path.Combine(CliRunner.TempDir(), "app");
        Directory.CreateDirectory(app);
        File.Copy(Path.Combine(root, "samples", "consumer", "Program.cs"), Path.Combine(app, "Program.cs"));
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{Path.Combine(root, "src", "Codec", "VqCodec.Codec.csproj")}" />
              </ItemGroup>
            </Project>
            """);
        var run = Dotnet(app, "run", "-c", "Release");
        Assert.True(run.Code == 0, run.Output);
        Assert.Contains("consumer ok", run.Output);
    }
}
