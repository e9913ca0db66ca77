using VqCodec.Codec.Metrics;

namespace VqCodec.Codec.Speech;

/// <summary>
/// A cheap check that audio looks like speech, so a user who feeds music or test tones to a speech codec is
/// told so: over the first 10 s, speech alternates voiced and unvoiced or silent stretches and its pitch moves;
/// steady tones are voiced almost everywhere at an almost constant pitch. Conservative: it flags only audio
/// voiced in over 90 % of its active frames with a pitch spread (interquartile range) under half a semitone.
/// </summary>
public static class SpeechLikeness
{
    /// <summary>Null when <paramref name="pcm"/> (mono, at <paramref name="sampleRate"/>) looks like speech, else why not.</summary>
    public static string? Problem(ReadOnlySpan<float> pcm, int sampleRate)
    {
        (double[] f0, bool[] frameActive) = PitchTracker.TrackFrames(pcm[..Math.Min(pcm.Length, 10 * sampleRate)], sampleRate);
        if (f0.Length < 50)
        {
            return null;
        }

        int active = frameActive.Count(a => a);
        double[] voiced = [.. f0.Where(f => f > 0).Select(f => 12 * Math.Log2(f)).Order()];
        if (active == 0 || voiced.Length < 0.9 * active)
        {
            return null;
        }

        double iqr = voiced[(int)(0.75 * (voiced.Length - 1))] - voiced[(int)(0.25 * (voiced.Length - 1))];
        return iqr < 0.5
            ? $"it does not look like speech: voiced in {100.0 * voiced.Length / active:F0} % of its frames at an almost constant pitch (steady tones or music); the codec is built for speech"
            : null;
    }
}
