using System.Diagnostics;

namespace VqCodec.Tools.Tests;

/// <summary>Runs the built vqc.dll as a separate process (the real CLI, exit codes and stderr included).</summary>
internal static class CliRunner
{
    public static string VqcDll => Path.Combine(AppContext.BaseDirectory, "vqc.dll");

    public static (int Code, string StdOut, string StdErr) Run(string workingDirectory, params string[] args) =>
        RunProcess("dotnet", workingDirectory, [VqcDll, .. args], 120_000);

    /// <summary>Runs <paramref name="program"/> and returns its exit code and output; kills it after <paramref name="timeoutMs"/>.</summary>
    public static (int Code, string StdOut, string StdErr) RunProcess(string program, string workingDirectory, IEnumerable<string> args, int timeoutMs, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }
        using var p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish");
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// One folder per test process under the system's temporary folder, <c>vqc-tests-{process id}-{guid}</c>. The
    /// packaging tests build consumer apps of about 1.1 GB each (every runtime's native libraries, as a consumer gets
    /// them), and the folders every run left behind had filled 74 GB of this machine's /tmp; the test host is ended
    /// without running exit handlers, so each run instead removes the folders of test processes that are gone.
    /// </summary>
    private static readonly Lazy<string> RunFolder = new(() =>
    {
        foreach (string stale in Directory.GetDirectories(Path.GetTempPath(), "vqc-tests-*"))
        {
            string[] parts = Path.GetFileName(stale).Split('-');
            if (parts.Length == 4 && int.TryParse(parts[2], out int pid) && !IsRunning(pid))
            {
                try
                {
                    Directory.Delete(stale, recursive: true);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }

        string d = Path.Combine(Path.GetTempPath(), $"vqc-tests-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return d;
    });

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>A new empty folder inside this test run's temporary folder.</summary>
    public static string TempDir()
    {
        string d = Path.Combine(RunFolder.Value, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    public static string RepositoryRoot
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "VqCodec.sln")))
            {
                dir = Path.GetDirectoryName(dir);
            }

            return dir ?? throw new InvalidOperationException("repository root not found");
        }
    }
}
