namespace VqCodec.Tools.IO;

/// <summary>
/// Writes outputs safely: refuses to overwrite without --force, writes to a temporary file in the target
/// folder and renames it over the target only after the content is complete, so a failure never leaves
/// a partial file or destroys an existing one. "-" writes to stdout.
/// </summary>
internal static class OutputFile
{
    public static void Check(string path, bool force)
    {
        if (path == "-")
        {
            return;
        }

        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir))
        {
            throw new CliException($"{path}: output folder '{dir}' does not exist", ExitCodes.IoError);
        }

        if (Directory.Exists(full))
        {
            throw new CliException($"{path}: is a folder", ExitCodes.IoError);
        }

        if (File.Exists(full) && !force)
        {
            throw new CliException($"{path}: already exists (use --force to overwrite)", ExitCodes.OutputExists);
        }

        RemoveStaleTemporaries(full);

        // Refuse before the work starts, not after it: the folder must accept a new file.
        string probe = TempName(full);
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new CliException($"{path}: cannot write in '{dir}' ({ex.Message})", ExitCodes.IoError);
        }
    }

    /// <summary>
    /// Temporary files are named ".NAME.PID.GUID.tmp"; one whose process no longer runs was left by a killed run
    /// (kill -9 gives no chance to clean up) and is removed the next time that output is written.
    /// </summary>
    private static void RemoveStaleTemporaries(string full)
    {
        string dir = Path.GetDirectoryName(full)!;
        string prefix = "." + Path.GetFileName(full) + ".";
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(dir, prefix + "*.tmp").ToList();
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            return;
        }

        foreach (string temp in candidates)
        {
            string[] parts = Path.GetFileName(temp)[prefix.Length..].Split('.');
            if (parts.Length == 3 && int.TryParse(parts[0], out int pid) && !IsRunning(pid))
            {
                TryDelete(temp);
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string TempName(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");

    public static void Write(string path, bool force, Action<Stream> write)
    {
        Check(path, force);
        if (path == "-")
        {
            using Stream stdout = Console.OpenStandardOutput();
            var buffer = new MemoryStream();
            write(buffer);
            buffer.Position = 0;
            buffer.CopyTo(stdout);
            return;
        }

        string full = Path.GetFullPath(path);
        string temp = TempName(full);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(true);
            }

            File.Move(temp, full, force);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void WriteBytes(string path, bool force, byte[] data) => Write(path, force, s => s.Write(data));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
