namespace VqCodec.Tools.IO;

/// <summary>Opens an input file, or stdin for "-", with a clear error when it is missing.</summary>
internal static class InputStream
{
    public static Stream Open(string path)
    {
        if (path == "-")
        {
            var ms = new MemoryStream();
            Console.OpenStandardInput().CopyTo(ms);
            ms.Position = 0;
            return ms;
        }

        if (!File.Exists(path))
        {
            throw new CliException($"{path}: no such file", ExitCodes.IoError);
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    /// <summary>The whole content of a file, or of stdin for "-".</summary>
    public static byte[] ReadAll(string path)
    {
        using Stream s = Open(path);
        if (s is MemoryStream ms)
        {
            return ms.ToArray();
        }

        var buffer = new MemoryStream();
        s.CopyTo(buffer);
        return buffer.ToArray();
    }
}
