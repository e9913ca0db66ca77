using VqCodec.Container;

namespace VqCodec.Codec.Image;

/// <summary>Rate control: the best file at or under a target size in bits per pixel.</summary>
internal static class ImageRateControl
{
    /// <summary>
    /// Coarsest detail step of the rate search: below the size it gives, token levels alone are as good
    /// (measured on the validation photographs, spec/design.md).
    /// </summary>
    private const double CoarsestRateStep = 160;

    /// <summary>
    /// The rate search of <see cref="ImageEncodeOptions.TargetBitsPerPixel"/>: binary search over a ladder of
    /// detail steps (four per octave) on <see cref="ImageEncodeOptions.DetailBaseLevels"/> token levels, and
    /// below the coarsest step's size, the most token levels whose file fits.
    /// </summary>
    public static VqcDocument FitRate(ImageModel model, RgbImage image, ImageEncodeOptions options, double target, VqcWriterOptions writerOptions, CancellationToken cancellationToken)
    {
        double pixels = (double)image.Width * image.Height;
        int[][] all = ImageTiling.EncodeTokens(model, image, model.Config.Levels, options.TileSize, cancellationToken, options.RefineSteps, options.Progress);
        VqcDocument tokensOnly = ImageEncoding.MakeDocument(model, image.Width, image.Height, all, options);
        int baseLevels = Math.Min(ImageEncodeOptions.DetailBaseLevels, all.Length);
        VqcDocument under = tokensOnly.Truncate(baseLevels);

        // Every detail candidate shares the base's token chunks: the base is written (its tokens entropy-coded, with
        // the learned prior where it pays) once, and a candidate's size is the base's plus its own chunks (spec §4a, §4b).
        long baseBytes = under.Write(Stream.Null, writerOptions);
        long Size(VqcDocument d) => d.Detail is null ? d.Write(Stream.Null, writerOptions)
            : baseBytes + d.DetailBytes;
        double Bits(VqcDocument d) => Size(d) * 8 / pixels;
        bool Fits(VqcDocument d) => Bits(d) <= target;
        double[] ladder = [.. Enumerable.Range(0, 64).Select(i => CoarsestRateStep * Math.Pow(2, -i / 4.0)).TakeWhile(step => step >= ImageEncodeOptions.MinDetailStep)];
        RgbImage decoded = ImageTiling.DecodeTokens(model, image.Width, image.Height, under.Tokens, options.TileSize, cancellationToken, options.Progress);
        VqcDocument Try(int i) => ImageEncoding.WithDetail(model, options, under, image, decoded, ladder[i], cancellationToken);
        VqcDocument coarsest = Try(0);
        if (Fits(coarsest))
        {
            // Invariant: ladder[lo] fits; find the finest step that fits (size grows as the step shrinks).
            int lo = 0, hi = ladder.Length;
            VqcDocument best = coarsest;
            while (hi - lo > 1)
            {
                int mid = (lo + hi) / 2;
                VqcDocument candidate = Try(mid);
                if (Fits(candidate))
                {
                    (lo, best) = (mid, candidate);
                }
                else
                {
                    hi = mid;
                }
            }

            if (hi == ladder.Length)
            {
                return best;
            }

            // Between two ladder steps (19 % apart) the size moves by up to about 20 %: bisect the step itself
            // (stored in 1/16 level units) until the file lands within 2 % under the target.
            double coarse = ladder[lo], fine = ladder[hi];
            for (int i = 0; i < 8 && Bits(best) < 0.98 * target && coarse - fine > 1.0 / DetailLayer.StepUnits; i++)
            {
                double mid = Math.Sqrt(coarse * fine);
                VqcDocument candidate = ImageEncoding.WithDetail(model, options, under, image, decoded, mid, cancellationToken);
                if (Fits(candidate))
                {
                    (coarse, best) = (mid, candidate);
                }
                else
                {
                    fine = mid;
                }
            }

            return best;
        }

        for (int n = all.Length; n > 1; n--)
        {
            cancellationToken.ThrowIfCancellationRequested();
            VqcDocument candidate = tokensOnly.Truncate(n);
            if (Fits(candidate))
            {
                return candidate;
            }
        }

        return tokensOnly.Truncate(1);
    }
}
