using VqCodec.Codec.Models;

namespace VqCodec.Codec.Training;

/// <summary>Options of <see cref="ImageTrainer"/>. Defaults are the ones the shipped model was trained with.</summary>
public sealed class ImageTrainingOptions : VqTrainingOptions
{
    /// <summary>Creates options with the image defaults.</summary>
    public ImageTrainingOptions()
    {
        Steps = 20000;
        BatchSize = 16;
        LearningRate = 4e-4;
        WarmupSteps = 400;
        ValidationLevels = [1, 2, 4, 8, 16];
    }

    /// <summary>Architecture (ignored when resuming: the checkpoint's configuration wins).</summary>
    public ImageModelConfig Model { get; init; } = new();

    /// <summary>Square crop size in pixels (multiple of 16).</summary>
    public int CropSize { get; init; } = 128;

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        Model.Validate();
        ValidateShared();
        if (CropSize < 16 || CropSize % 16 != 0)
        {
            throw new ArgumentException("Crop size must be a multiple of 16 and at least 16.");
        }
    }
}
