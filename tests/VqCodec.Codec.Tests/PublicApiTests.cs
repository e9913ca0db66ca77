using System.Reflection;
using System.Text;

namespace VqCodec.Codec.Tests;

/// <summary>
/// The libraries' public surface is checked in (spec/api/*.txt): a change to it fails this test until the listing
/// is regenerated on purpose (VQC_REGENERATE_API=1), so every change to the surface is deliberate and reviewed.
/// </summary>
public class PublicApiTests
{
    [Theory]
    [InlineData("VqCodec.Container")]
    [InlineData("VqCodec.Codec")]
    [InlineData("VqCodec.Quantization")]
    public void PublicSurfaceMatchesTheCheckedInListing(string assemblyName)
    {
        Assembly assembly = assemblyName switch
        {
            "VqCodec.Container" => typeof(VqCodec.Container.VqcReader).Assembly,
            "VqCodec.Quantization" => typeof(VqCodec.Quantization.VectorQuantizer).Assembly,
            _ => typeof(VqCodec.Codec.Image.ImageCodec).Assembly,
        };
        string listing = Listing(assembly);
        string? root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "VqCodec.sln")))
        {
            root = Path.GetDirectoryName(root);
        }

        string path = Path.Combine(root!, "spec", "api", assemblyName + ".txt");
        if (Environment.GetEnvironmentVariable("VQC_REGENERATE_API") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, listing);
        }

        Assert.True(File.Exists(path), $"{path} is missing; create it with VQC_REGENERATE_API=1");
        string expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (expected != listing)
        {
            var want = expected.Split('\n').ToHashSet();
            var have = listing.Split('\n').ToHashSet();
            string added = string.Join("\n", have.Except(want).Take(20));
            string removed = string.Join("\n", want.Except(have).Take(20));
            Assert.Fail($"the public surface of {assemblyName} changed; if that is intended, regenerate spec/api with VQC_REGENERATE_API=1.\nadded:\n{added}\nremoved:\n{removed}");
        }
    }

    private static string Listing(Assembly assembly)
    {
        var lines = new List<string>();
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (Type type in assembly.GetExportedTypes())
        {
            string kind = type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct" : type.IsAbstract && type.IsSealed ? "static class" : "class";
            lines.Add($"{kind} {type.FullName}{(type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum) ? " : " + b.FullName : string.Empty)}");
            foreach (MemberInfo member in type.GetMembers(flags))
            {
                if (member is MethodInfo { IsSpecialName: true } || member is MethodBase { IsFamily: false, IsPublic: false })
                {
                    continue;
                }

                lines.Add($"  {type.FullName}: {member.MemberType} {member}");
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join("\n", lines) + "\n";
    }
}
