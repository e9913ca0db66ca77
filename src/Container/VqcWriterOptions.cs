namespace VqCodec.Container;

/// <summary>Options of <see cref="VqcWriter"/>; null means defaults.</summary>
public sealed class VqcWriterOptions
{
    /// <summary>How token chunks are coded. Default: the smallest applicable mode per chunk.</summary>
    public TokenCodingPolicy Policy { get; init; } = TokenCodingPolicy.Smallest;

    /// <summary>Static token tables; required by <see cref="TokenCodingPolicy.RansStatic"/>. Their hash must equal the header's.</summary>
    public TokenPriors? Priors { get; init; }

    /// <summary>
    /// The restoration network the decoder applies after the detail layer (images only; written as an
    /// <c>rstr</c> chunk after the header, and the file is marked format 1.1). Null: none.
    /// </summary>
    public RestorationId? Restoration { get; init; }

    /// <summary>
    /// Speech only: segments may carry voice parameters (<see cref="VqcWriter.WriteSegmentVoice"/>; the file is
    /// marked format 1.4).
    /// </summary>
    public bool SegmentVoices { get; init; }

    /// <summary>
    /// Speech only, with <see cref="SegmentVoices"/>: voice parameters may carry spectral envelope corrections
    /// (<see cref="SegmentVoice.Envelope"/>; the file is marked format 1.5).
    /// </summary>
    public bool SegmentEnvelopes { get; init; }

    /// <summary>
    /// With <see cref="SegmentEnvelopes"/>: the corrections may be format 1.6's, applied after the synthesis
    /// (<see cref="SegmentEnvelope.AfterSynthesis"/>; the file is marked format 1.6).
    /// </summary>
    public bool EnvelopesAfterSynthesis { get; init; }

    /// <summary>
    /// With <see cref="EnvelopesAfterSynthesis"/>: the corrections may come twice per token frame, one per 10 ms half
    /// (<see cref="SegmentEnvelope.SubFrames"/> 2; the file is marked format 1.7).
    /// </summary>
    public bool EnvelopeHalfFrames { get; init; }
}
