using VqCodec.Codec.Models;

namespace VqCodec.Codec.Training;

/// <summary>Options of <see cref="RestorerTrainer"/>.</summary>
public sealed class RestorerTrainingOptions : TrainingRunOptions
{
    /// <summary>Creates options with the restorer defaults.</summary>
    public RestorerTrainingOptions()
    {
        Steps = 6000;
        BatchSize = 12;
        LearningRate = 1e-3;
    }

    /// <summary>Crop side in pixels (a multiple of 8).</summary>
    public int CropSize { get; init; } = 96;

    /// <summary>Smallest and largest detail-layer luma step drawn for a crop (log-uniform).</summary>
    public double MinStep { get; init; } = 12;

    /// <inheritdoc cref="MinStep"/>
    public double MaxStep { get; init; } = 180;

    /// <summary>Token levels of the base image (the codec's detail-layer base).</summary>
    public int BaseLevels { get; init; } = 2;

    /// <summary>
    /// Weight of the blockiness penalty: per crop, the absolute difference between the restored crop's blockiness
    /// (mean absolute luma step across the 8×8 grid minus the mean inside blocks, in [0, 1] units) and the source's.
    /// 0 trains on the pixel MSE alone. (A penalty on the excess only, hinged at zero, over-smoothed the block edges:
    /// validation blockiness −0.5 against the sources' 0.1.)
    /// </summary>
    public double BlockinessWeight { get; init; }

    /// <summary>Weight of (1 − SSIM) of the luma at full and half resolution (Gaussian window, σ 1.5); 0 = off.</summary>
    public double SsimWeight { get; init; }

    /// <summary>Network architecture (a resumed run keeps the checkpoint's).</summary>
    public RestorerConfig Model { get; init; } = new();

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        Model.Validate();
        if (!SharedOptionsValid || CropSize < 16 || CropSize % 8 != 0
            || !(MinStep >= 1) || !(MaxStep >= MinStep) || BaseLevels < 1
            || !(BlockinessWeight >= 0) || !(SsimWeight >= 0))
        {
            throw new ArgumentException("Restorer training options out of range (steps, batch, crop a multiple of 8, learning rate, steps 1 <= min <= max, levels, intervals, loss weights >= 0).");
        }
    }
}
