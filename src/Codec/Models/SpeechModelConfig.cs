namespace VqCodec.Codec.Models;

/// <summary>Architecture hyper-parameters of the speech RVQ model. Stored in the model file.</summary>
public sealed record SpeechModelConfig
{
    /// <summary>Sample rate the model works at.</summary>
    public int SampleRate { get; init; } = 16000;

    /// <summary>Stride of each down-sampling stage; their product is the hop (samples per frame).</summary>
    public int[] Strides { get; init; } = [4, 4, 4, 5];

    /// <summary>Channels after the input convolution; doubled at each stage.</summary>
    public int BaseChannels { get; init; } = 32;

    /// <summary>Latent (code) dimension.</summary>
    public int LatentDim { get; init; } = 64;

    /// <summary>Number of residual VQ levels.</summary>
    public int Levels { get; init; } = 16;

    /// <summary>Codewords per level.</summary>
    public int CodebookSize { get; init; } = 1024;

    /// <summary>Samples per token frame.</summary>
    public int Hop => Strides.Aggregate(1, (a, b) => a * b);

    /// <summary>Throws when a field is out of its supported range.</summary>
    public void Validate()
    {
        if (SampleRate is < 8000 or > 48000 || Strides is not { Length: >= 1 and <= 6 } || Strides.Any(s => s is < 2 or > 8)
            || BaseChannels is < 4 or > 256 || LatentDim is < 1 or > 512 || Levels is < 1 or > 32 || CodebookSize is < 2 or > 65536)
        {
            throw new ArgumentException("Speech model configuration out of range.");
        }
    }
}
