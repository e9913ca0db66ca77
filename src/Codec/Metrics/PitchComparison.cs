namespace VqCodec.Codec.Metrics;

/// <summary>
/// Pitch agreement between a reference and a decoded signal (frames of <see cref="PitchTracker"/>):
/// median absolute F0 error in cents and gross pitch error (share of frames off by more than 20 %) over the
/// frames voiced in both; voicing decision error over all frames compared. NaN where no frame qualifies.
/// </summary>
/// <param name="MedianCents">Median of 1200·|log2(f_test / f_ref)| over frames voiced in both.</param>
/// <param name="GrossPitchError">Share of frames voiced in both with |f_test / f_ref − 1| &gt; 0.2.</param>
/// <param name="VoicingError">Share of frames whose voiced/unvoiced decisions differ.</param>
/// <param name="VoicedFrames">Frames voiced in both.</param>
public sealed record PitchComparison(double MedianCents, double GrossPitchError, double VoicingError, int VoicedFrames)
{
    /// <summary>Tracks both signals and compares them frame by frame over their common length.</summary>
    public static PitchComparison Compute(ReadOnlySpan<float> reference, ReadOnlySpan<float> test, int sampleRate)
    {
        int n = Math.Min(reference.Length, test.Length);
        return Compare(PitchTracker.Track(reference[..n], sampleRate), PitchTracker.Track(test[..n], sampleRate));
    }

    /// <summary>Compares two F0 tracks (0 = unvoiced) frame by frame over their common length.</summary>
    public static PitchComparison Compare(IReadOnlyList<double> reference, IReadOnlyList<double> test)
    {
        int n = Math.Min(reference.Count, test.Count);
        var cents = new List<double>();
        int gross = 0, voicingErrors = 0;
        for (int i = 0; i < n; i++)
        {
            bool vr = reference[i] > 0, vt = test[i] > 0;
            if (vr != vt)
            {
                voicingErrors++;
            }
            else if (vr)
            {
                double ratio = test[i] / reference[i];
                cents.Add(Math.Abs(1200 * Math.Log2(ratio)));
                if (Math.Abs(ratio - 1) > 0.2)
                {
                    gross++;
                }
            }
        }

        cents.Sort();
        double median = cents.Count == 0 ? double.NaN : cents.Count % 2 == 1 ? cents[cents.Count / 2] : 0.5 * (cents[(cents.Count / 2) - 1] + cents[cents.Count / 2]);
        return new PitchComparison(median, cents.Count == 0 ? double.NaN : gross / (double)cents.Count, n == 0 ? double.NaN : voicingErrors / (double)n, cents.Count);
    }
}
