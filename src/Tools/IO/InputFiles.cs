namespace VqCodec.Tools.IO;

/// <summary>Expands a list of files and folders into input files with the given extensions.</summary>
internal static class InputFiles
{
    public static List<string> Expand(IEnumerable<string> inputs, IReadOnlyCollection<string> extensions)
    {
        var files = new List<string>();
        foreach (string input in inputs)
        {
            if (Directory.Exists(input))
            {
                files.AddRange(Directory.EnumerateFiles(input)
                    .Where(f => extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                    .Order(StringComparer.Ordinal));
            }
            else if (File.Exists(input) || input == "-")
            {
                files.Add(input);
            }
            else
            {
                throw new CliException($"{input}: no such file or folder", ExitCodes.IoError);
            }
        }

        return files;
    }

    /// <summary>The shared data folder, or a clear error when it is absent.</summary>
    public static string RequireFolder(string path, string what)
    {
        if (!Directory.Exists(path))
        {
            throw new CliException($"{what} folder '{path}' does not exist (the shared data lives in ../shared/data beside the repository)", ExitCodes.IoError);
        }

        return path;
    }
}
