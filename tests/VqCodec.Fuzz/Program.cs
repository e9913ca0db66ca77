using System.Globalization;
using VqCodec.Fuzz;

// vqc-fuzz TARGET                    one afl++ campaign process (SharpFuzz out-of-process runner), see spec/fuzzing.md
// vqc-fuzz smoke TARGET COUNT SEED   a deterministic in-process mutation run; prints what it found
if (args.Length == 4 && args[0] == "smoke" && FuzzTargets.All.ContainsKey(args[1]))
{
    SmokeResult r = SmokeRun.Run(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture), "fuzz-crashes");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{args[1]}: {r.Inputs} inputs, {r.Rejected} rejected with documented exceptions, 0 undocumented, worst allocation {r.WorstAllocationRatio:F1}x (input + 64 KiB), slowest input {r.SlowestSeconds:F2} s"));
    return 0;
}

if (args.Length == 1 && FuzzTargets.All.TryGetValue(args[0], out Action<byte[]>? target))
{
    SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
    {
        var ms = new MemoryStream();
        stream.CopyTo(ms);
        try
        {
            target(ms.ToArray());
        }
        catch (Exception ex) when (FuzzTargets.IsDocumented(ex))
        {
        }
    });
    return 0;
}

if (args.Length == 2 && args[0] == "seeds" && FuzzTargets.All.ContainsKey(args[1]))
{
    // Writes the seed corpus of a target into ./corpus-TARGET for afl-fuzz -i.
    string dir = "corpus-" + args[1];
    Directory.CreateDirectory(dir);
    int n = 0;
    foreach (byte[] seed in FuzzTargets.Seeds(args[1]))
    {
        File.WriteAllBytes(Path.Combine(dir, $"seed{n++}"), seed);
    }

    Console.WriteLine($"{n} seeds in {dir}");
    return 0;
}

Console.Error.WriteLine("usage: vqc-fuzz TARGET | vqc-fuzz smoke TARGET COUNT SEED | vqc-fuzz seeds TARGET   (targets: reader, image, speech, wav)");
return 2;
