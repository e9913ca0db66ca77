namespace VqCodec.Codec.Tests;

/// <summary>
/// The CI part of the fuzzing harness (tests/VqCodec.Fuzz, spec/fuzzing.md): a fixed-seed mutation run per
/// target that fails on any exception outside the documented family, on a slow input or on an allocation far
/// above the input's size.
/// </summary>
public class FuzzSmokeTests
{
    [Theory]
    [InlineData("reader", 4000, 128.0)]
    [InlineData("incremental", 3000, 128.0)]
    [InlineData("wav", 3000, 4.0)]
    [InlineData("image", 1200, 16.0)]
    [InlineData("speech", 800, 64.0)]
    public void MutatedInputsOnlyRaiseDocumentedExceptionsWithBoundedAllocation(string target, int count, double allocationBound)
    {
        SmokeResult r = SmokeRun.Run(target, count, seed: 20261127);
        Assert.Equal(count, r.Inputs);
        Assert.True(r.Rejected > count / 2, $"only {r.Rejected} of {count} mutants were rejected: the mutator is not reaching the parsers");
        Assert.True(r.WorstAllocationRatio <= allocationBound, $"an input allocated {r.WorstAllocationRatio:F1}x (its size + 64 KiB)");
        Assert.True(r.SlowestSeconds < 10, $"an input took {r.SlowestSeconds:F1} s");
    }
}
