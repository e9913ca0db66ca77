namespace VqCodec.Container;

/// <summary>A .vqc file was produced by a different model than the one asked to decode it.</summary>
public sealed class ModelMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelMismatchException(string fileModelId, string fileModelHash, string modelId, string modelHash)
        : base($"the file was encoded with model '{fileModelId}' ({fileModelHash[..Math.Min(16, fileModelHash.Length)]}…) but the loaded model is '{modelId}' ({modelHash[..Math.Min(16, modelHash.Length)]}…)")
    {
        FileModelId = fileModelId;
        ModelId = modelId;
    }

    /// <summary>Creates the exception with its own message (for a restoration network the file names).</summary>
    public ModelMismatchException(string message, string fileModelId, string modelId)
        : base(message)
    {
        FileModelId = fileModelId;
        ModelId = modelId;
    }

    /// <summary>Model id recorded in the file.</summary>
    public string FileModelId { get; }

    /// <summary>Model id of the decoder.</summary>
    public string ModelId { get; }
}
