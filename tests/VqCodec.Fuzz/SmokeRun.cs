using System.Diagnostics;

namespace VqCodec.Fuzz;

/// <summary>What a smoke run found.</summary>
/// <param name="Inputs">Inputs run.</param>
/// <param name="Rejected">Inputs refused with a documented exception.</param>
/// <param name="WorstAllocationRatio">Largest managed allocation per input over (input length + 64 KiB).</param>
/// <param name="SlowestSeconds">Longest time one input took.</param>
public sealed record SmokeResult(int Inputs, int Rejected, double WorstAllocationRatio, double SlowestSeconds);

/// <summary>A deterministic in-process mutation run over a target's seeds (the CI smoke test and `vqc-fuzz smoke`).</summary>
public static class SmokeRun
{
    /// <summary>
    /// Runs <paramref name="count"/> mutants (half with their checksums repaired) through <paramref name="target"/>.
    /// An undocumented exception is rethrown wrapped with the input's index, after the input is written to
    /// <paramref name="crashFolder"/> when one is given.
    /// </summary>
    public static SmokeResult Run(string target, int count, int seed, string? crashFolder = null)
    {
        Action<byte[]> run = FuzzTargets.All[target];
        List<byte[]> seeds = FuzzTargets.Seeds(target);
        var mutator = new Mutator(seed);
        int rejected = 0;
        double worst = 0, slowest = 0;
        for (int i = 0; i < count; i++)
        {
            byte[] input = mutator.Next(seeds);
            if (i % 2 == 1)
            {
                input = FuzzTargets.FixChecksums(input);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            try
            {
                run(input);
            }
            catch (Exception ex) when (FuzzTargets.IsDocumented(ex))
            {
                rejected++;
            }
            catch (Exception ex)
            {
                if (crashFolder is not null)
                {
                    Directory.CreateDirectory(crashFolder);
                    File.WriteAllBytes(Path.Combine(crashFolder, $"{target}-{seed}-{i}.bin"), input);
                }

                throw new InvalidOperationException($"{target} input {i} (seed {seed}) threw an undocumented {ex.GetType().Name}: {ex.Message}", ex);
            }

            slowest = Math.Max(slowest, clock.Elapsed.TotalSeconds);
            worst = Math.Max(worst, (GC.GetAllocatedBytesForCurrentThread() - before) / (double)(input.Length + (64 << 10)));
        }

        return new SmokeResult(count, rejected, worst, slowest);
    }
}
