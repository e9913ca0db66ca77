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

    /// <summary>
    /// Expands inputs and decides where outputs go: with one input and a non-folder target the target is
    /// the output file; otherwise the target must be an existing folder and each output is named after its
    /// input with <paramref name="outputExtension"/>.
    /// </summary>
    public static List<(string Input, string Output)> Plan(IEnumerable<string> inputs, string target, IReadOnlyCollection<string> extensions, string outputExtension)
    {
        List<string> files = Expand(inputs, extensions);
        if (files.Count == 0)
        {
            throw new CliException("no input files found", ExitCodes.IoError);
        }

        bool many = files.Count > 1 || Directory.Exists(target);
        if (many && !Directory.Exists(target))
        {
            throw new CliException($"{target}: several inputs need an existing output folder", ExitCodes.IoError);
        }

        return files.Select(f => (f, many ? Path.Combine(target, Path.GetFileNameWithoutExtension(f) + outputExtension) : target)).ToList();
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
