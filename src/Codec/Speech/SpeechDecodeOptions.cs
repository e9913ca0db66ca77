namespace VqCodec.Codec.Speech;

/// <summary>Options of <see cref="SpeechDecoder"/> and <see cref="SpeechCodec.Decode"/>; null means defaults.</summary>
public sealed class SpeechDecodeOptions
{
    /// <summary>Frames the decoder synthesises per pass by default (5 s at 50 frames/s), the encoder's analysis window.</summary>
    public const int DefaultWindowFrames = 250;

    private readonly int _windowFrames = DefaultWindowFrames;
    private readonly long _maxSamples = 1L << 30;

    /// <summary>Resample the output to the source's sample rate (the header's) instead of the model's (default false).</summary>
    public bool OriginalRate { get; init; }

    /// <summary>
    /// Token frames synthesised per pass (10..10,000; default <see cref="DefaultWindowFrames"/>), each with the
    /// model's context frames on both sides. Smaller windows give output sooner and hold less memory, at more
    /// context recomputed; the output agrees with the default's to within the context's reach.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 10..10,000.</exception>
    public int WindowFrames
    {
        get => _windowFrames;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 10);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 10_000);
            _windowFrames = value;
        }
    }

    /// <summary>
    /// Largest output <see cref="SpeechCodec.Decode"/> accepts, in samples: a file whose header declares more is
    /// refused before decoding (default 2^30, about 18 h at 16 kHz; stream larger files with <see cref="SpeechDecoder"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public long MaxSamples
    {
        get => _maxSamples;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxSamples = value;
        }
    }
}
