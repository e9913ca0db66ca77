using VqCodec.Codec.Training;

namespace VqCodec.Codec.Tests;

/// <summary>Training steps draw from seeds that are the same in every process, so runs and resumptions are reproducible.</summary>
public class StepSeedTests
{
    [Fact]
    public void StepSeedsAreFixedNumbersThatDifferByStepAndSalt()
    {
        // Values of SplitMix64's finaliser, computed independently; HashCode.Combine (used before) changes per process.
        Assert.Equal(957552524, TrainingSupport.StepSeed(1234, 0));
        Assert.Equal(717393624, TrainingSupport.StepSeed(1234, 1));
        Assert.Equal(-151160015, TrainingSupport.StepSeed(1234, 0, 17));
        int[] seeds = Enumerable.Range(0, 1000).Select(step => TrainingSupport.StepSeed(1234, step)).ToArray();
        Assert.Equal(seeds.Length, seeds.Distinct().Count());
    }
}
