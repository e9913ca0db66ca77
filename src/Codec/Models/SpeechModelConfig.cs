namespace VqCodec.Codec.Models;

/// <summary>
/// Architecture hyper-parameters of the speech RVQ model. Stored in the model file. The encoder reads a
/// complex STFT (<see cref="StftSize"/>-point Hann window, hop <see cref="StftHop"/>) and halves its
/// frame rate once, so a token frame covers <see cref="Hop"/> = 2·StftHop samples; the decoder predicts
/// an STFT magnitude and phase per StftHop samples and synthesises the waveform by inverse STFT.
/// </summary>
public sealed record SpeechModelConfig
{
    /// <summary>Sample rate the model works at.</summary>
    public int SampleRate { get; init; } = 16000;

    /// <summary>STFT window length in samples (even).</summary>
    public int StftSize { get; init; } = 640;

    /// <summary>STFT hop in samples; the token frame is twice this.</summary>
    public int StftHop { get; init; } = 160;

    /// <summary>Channels of the layers at the STFT frame rate.</summary>
    public int FineWidth { get; init; } = 192;

    /// <summary>Channels of the layers at the token frame rate.</summary>
    public int CoarseWidth { get; init; } = 384;

    /// <summary>Dilations of the residual blocks at the STFT frame rate (encoder and decoder each).</summary>
    public int[] FineDilations { get; init; } = [1, 3];

    /// <summary>Dilations of the residual blocks at the token frame rate (encoder and decoder each).</summary>
    public int[] CoarseDilations { get; init; } = [1, 3, 9, 1];

    /// <summary>Latent (code) dimension.</summary>
    public int LatentDim { get; init; } = 64;

    /// <summary>Number of residual VQ levels.</summary>
    public int Levels { get; init; } = 16;

    /// <summary>Codewords per level.</summary>
    public int CodebookSize { get; init; } = 1024;

    /// <summary>
    /// Phase synthesis. False (v1): the decoder predicts each STFT frame's phase per bin directly. True (v2):
    /// it predicts a bounded deviation δ ∈ (−π, π) from each bin's centre-frequency advance, and the phase is
    /// the running sum φ[t] = φ[t−1] + 2π·k·StftHop/StftSize + δ[t], so sinusoids continue coherently
    /// from frame to frame (no frame-rate comb) and consecutive windows are joined by carrying φ.
    /// </summary>
    public bool CumulativePhase { get; init; }

    /// <summary>Samples per token frame.</summary>
    public int Hop => 2 * StftHop;

    /// <summary>Token frames per second (may be fractional).</summary>
    public double FrameRate => (double)SampleRate / Hop;

    /// <summary>
    /// Frames of context the encoder or decoder needs on each side of a frame for its output to equal the
    /// whole-signal output (receptive-field half-width, rounded up). Windowed coding uses it as the margin.
    /// </summary>
    public int ContextFrames
    {
        get
        {
            // Fine convs (kernel 3) at StftHop, coarse convs (kernel 3) at Hop, the STFT window, and the
            // stride-2 layer; expressed in token frames and rounded up.
            double fine = 1 + FineDilations.Sum() + 1 + 2;
            double coarse = 1 + CoarseDilations.Sum();
            double stft = (double)StftSize / Hop;
            return (int)Math.Ceiling((fine / 2) + coarse + stft) + 1;
        }
    }

    /// <summary>Throws when a field is out of its supported range.</summary>
    public void Validate()
    {
        if (SampleRate is < 8000 or > 48000 || StftHop is < 16 or > 2048 || StftSize < 2 * StftHop || StftSize > 8192 || StftSize % 2 != 0
            || FineWidth is < 4 or > 1024 || CoarseWidth is < 4 or > 2048 || FineDilations is null || CoarseDilations is null
            || FineDilations.Length > 8 || CoarseDilations.Length > 12 || FineDilations.Concat(CoarseDilations).Any(d => d is < 1 or > 64)
            || LatentDim is < 1 or > 512 || Levels is < 1 or > 32 || CodebookSize is < 2 or > 65536)
        {
            throw new ArgumentException("Speech model configuration out of range.");
        }
    }
}
