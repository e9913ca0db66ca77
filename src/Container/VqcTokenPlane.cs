namespace VqCodec.Container;

/// <summary>Decoded tokens of one level in one segment, row-major over its grid part.</summary>
/// <param name="Level">RVQ level (0 = coarsest).</param>
/// <param name="Segment">Segment index (0 for images).</param>
/// <param name="Mode">How the tokens were stored.</param>
/// <param name="Tokens">Token indices, each below the level's codebook size.</param>
/// <param name="StoredBytes">Size of the chunk on disk, framing included.</param>
public sealed record VqcTokenPlane(int Level, int Segment, TokenCodingMode Mode, int[] Tokens, long StoredBytes)
{
    /// <summary>The segment's voice parameters (format 1.4; on the segment's level-0 plane only, null when the segment has none).</summary>
    public SegmentVoice? Voice { get; init; }
}
