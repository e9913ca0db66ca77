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
        ReadOnlySpan<float> head = pcm[..Math.Min(pcm.Length, 10 * sampleRate)];
        double[] f0 = PitchTracker.Track(head, sampleRate);
        if (f0.Length < 50)
        {
            return null;
        }

        // Active frames: the tracker leaves frames more than 40 dB under the loudest at 0; count voiced among
        // frames with energy.
        int frame = (int)(0.025 * sampleRate), hop = (int)(PitchTracker.HopSeconds * sampleRate);
        double loudest = 0;
        var energy = new double[f0.Length];
        for (int i = 0; i < f0.Length; i++)
        {
            double e = 0;
            foreach (float v in head.Slice(i * hop, Math.Min(frame, head.Length - (i * hop))))
            {
                e += v * (double)v;
            }

            energy[i] = e;
            loudest = Math.Max(loudest, e);
        }

        int active = energy.Count(e => e > loudest * 1e-4);
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
