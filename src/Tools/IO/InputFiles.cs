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
        string[] given = inputs.ToArray();
        List<string> files = Expand(given, extensions);
        if (files.Count == 0)
        {
            throw new CliException("no input files found", ExitCodes.IoError);
        }

        bool many = files.Count > 1 || Directory.Exists(target) || given.Any(Directory.Exists) || target.EndsWith(Path.DirectorySeparatorChar) || target.EndsWith('/');
        if (many && !Directory.Exists(target))
        {
            string? parent = Path.GetDirectoryName(Path.GetFullPath(target.TrimEnd('/', Path.DirectorySeparatorChar)));
            if (parent is null || !Directory.Exists(parent))
            {
                throw new CliException($"{target}: output folder cannot be created (its parent folder does not exist)", ExitCodes.IoError);
            }

            Directory.CreateDirectory(target);
        }

        var plan = files.Select(f => (f, many ? Path.Combine(target, Path.GetFileNameWithoutExtension(f) + outputExtension) : target)).ToList();
        foreach ((string input, string output) in plan)
        {
            if (output != "-" && string.Equals(Path.GetFullPath(input), Path.GetFullPath(output), StringComparison.Ordinal))
            {
                throw new CliException($"{input}: the output would overwrite the input; choose another output name", ExitCodes.Usage);
            }
        }

        return plan;
    }

    /// <summary>
    /// Runs <paramref name="work"/> for every planned input. One input: its errors propagate as they are. Several:
    /// each is announced as "[n of N]", a failing input is reported on one line and the batch goes on; at the
    /// end the failures are named and the exit code is that of the first failure.
    /// </summary>
    public static void RunBatch(IReadOnlyList<(string Input, string Output)> plan, Action<string, string> work, CancellationToken token)
    {
        if (plan.Count == 1)
        {
            work(plan[0].Input, plan[0].Output);
            return;
        }

        var failed = new List<(string File, int Code)>();
        for (int i = 0; i < plan.Count; i++)
        {
            token.ThrowIfCancellationRequested();
            Console.Error.Write($"[{i + 1} of {plan.Count}] ");
            try
            {
                work(plan[i].Input, plan[i].Output);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && Cli.ExitCodeOf(ex) is int code && code != ExitCodes.Failure)
            {
                Console.Error.WriteLine($"vqc: {Cli.Printable(Cli.MessageOf(ex))}");
                failed.Add((plan[i].Input, code));
            }
        }

        if (failed.Count > 0)
        {
            throw new CliException($"{failed.Count} of {plan.Count} inputs failed: {string.Join(", ", failed.Select(f => f.File))}", failed[0].Code);
        }
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
