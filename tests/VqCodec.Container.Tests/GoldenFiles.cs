using VqCodec.Container;

namespace VqCodec.Container.Tests;

/// <summary>
/// The golden .vqc files in spec/examples are the compatibility contract. They are regenerated only when
/// VQC_REGENERATE_GOLDEN=1 is set (an explicit act), never to make a test pass.
/// </summary>
internal static class GoldenFiles
{
    /// <summary>Priors of image-static.vqc (also stored as spec/examples/image-static.vqpr).</summary>
    public static TokenPriors StaticPriors { get; } = TestData.Priors(2, 256, 1.0, 99);

    /// <summary>Priors with a context prior (format 1.2, coding mode 5) of speech-context.vqc (also stored as spec/examples/speech-context.vqpr).</summary>
    public static TokenPriors ContextPriors { get; } = TestData.Priors(3, 64, 1.0, 7).WithContext(TestData.Context(3, 64, 16, 2, 77));

    /// <summary>Priors with a grid context prior (format 1.3, an image's planes in one mode-5 TSEG chunk) of image-context.vqc (also stored as spec/examples/image-context.vqpr).</summary>
    public static TokenPriors GridPriors { get; } = TestData.Priors(3, 64, 1.0, 8).WithContext(TestData.Context(3, 64, 16, 4, 78, residual: true, layout: ContextLayout.Grid));

    /// <summary>Resolves the priors of every golden file by hash.</summary>
    public static Func<VqcHeader, TokenPriors?> Resolve { get; } = TokenPriors.Resolver(StaticPriors, ContextPriors, GridPriors);

    public static readonly (string Name, Func<(VqcDocument Doc, VqcWriterOptions Options)> Make)[] All =
    [
        ("image-adaptive.vqc", () =>
        {
            VqcHeader h = TestData.Image(120, 72, 3, 1024, 5, 8);
            var meta = new Dictionary<string, string> { ["source"] = "synthetic", ["encoder"] = "golden" };
            return (new VqcDocument(h, TestData.Grids(h, 1.1, 11), meta), new VqcWriterOptions());
        }),
        ("image-static.vqc", () =>
        {
            TokenPriors priors = StaticPriors;
            VqcHeader h = TestData.Image(64, 64, 2, 256, 4, 4, priors.Hash);
            return (new VqcDocument(h, TestData.Grids(h, 1.0, 21)), new VqcWriterOptions { Priors = priors, Policy = TokenCodingPolicy.RansStatic });
        }),
        ("image-lz4.vqc", () =>
        {
            VqcHeader h = TestData.Image(32, 48, 2, 1000, 2, 3);
            return (new VqcDocument(h, TestData.Grids(h, 1.0, 31)), new VqcWriterOptions { Policy = TokenCodingPolicy.Lz4 });
        }),
        ("image-detail.vqc", () =>
        {
            // A detail-layer chunk after the token planes; the container treats its payload as opaque bytes.
            VqcHeader h = TestData.Image(40, 24, 2, 1024, 2, 3);
            byte[] detail = [.. Enumerable.Range(0, 37).Select(i => (byte)(i * 29))];
            return (new VqcDocument(h, TestData.Grids(h, 1.1, 61), null, detail), new VqcWriterOptions());
        }),
        ("image-restore.vqc", () =>
        {
            // Format 1.1: an rstr chunk after the header names a restoration network; a detail chunk after the planes.
            VqcHeader h = TestData.Image(40, 24, 2, 1024, 2, 3);
            byte[] detail = [1, 32, 2, 48, 3, .. Enumerable.Range(0, 24).Select(i => (byte)(i * 37))];
            var restorer = new RestorationId("golden-restorer", [.. Enumerable.Range(0, 32).Select(i => (byte)(200 - i))]);
            return (new VqcDocument(h, TestData.Grids(h, 1.1, 71), null, detail, restorer), new VqcWriterOptions());
        }),
        ("speech-segments.vqc", () =>
        {
            VqcHeader h = TestData.Speech(37 * 320, 37, 16, 2, 1024);
            return (new VqcDocument(h, TestData.Grids(h, 1.2, 41)), new VqcWriterOptions { Policy = TokenCodingPolicy.Packed });
        }),
        ("speech-joint.vqc", () =>
        {
            // Segments coded as one static rANS stream each (TokenCodingMode.RansStaticJoint).
            TokenPriors priors = StaticPriors;
            VqcHeader h = TestData.Speech(45 * 320, 45, 20, 2, 256, priors.Hash);
            return (new VqcDocument(h, TestData.Grids(h, 1.0, 51)), new VqcWriterOptions { Priors = priors, Policy = TokenCodingPolicy.RansStatic });
        }),
        ("speech-context.vqc", () =>
        {
            // Format 1.2: segments coded with the learned context prior (TokenCodingMode.RansContext, spec §5b).
            TokenPriors priors = ContextPriors;
            VqcHeader h = TestData.Speech(23 * 320, 23, 10, 3, 64, priors.Hash);
            return (new VqcDocument(h, TestData.Grids(h, 1.0, 81)), new VqcWriterOptions { Priors = priors, Policy = TokenCodingPolicy.RansContext });
        }),
        ("speech-voice.vqc", () =>
        {
            // Format 1.4: segments 0 and 1 carry voice parameters in their TSEG chunks (spec §4c), segment 2 none.
            TokenPriors priors = ContextPriors;
            VqcHeader h = TestData.Speech(23 * 320, 23, 10, 3, 64, priors.Hash);
            SegmentVoice?[] voices =
            [
                new SegmentVoice([0, 0, 120, 121, 121, 119, 119, 167, 168, 0], 9),
                new SegmentVoice([100, 102, 104, 112, 96, 96, 1, 255, 247, 0], -5),
                null,
            ];
            return (new VqcDocument(h, TestData.Grids(h, 1.0, 82)).WithVoices(voices), new VqcWriterOptions { Priors = priors });
        }),
        // Format 1.5: segment 0 carries voice parameters with spectral envelope corrections (spec §4d), segment 1 voice
        // parameters alone, segment 2 neither. Frames 0, 1 and 9 inactive; the others a sloping correction with both extremes.
        ("speech-envelope.vqc", () => EnvelopeSpeech(
            (frame, band) => frame is 0 or 1 or 9 ? 0 : ((band - 8) / 2) + frame - 4,
            [(5, 19, SegmentEnvelope.MaxValue), (6, 0, -SegmentEnvelope.MaxValue)],
            [0, 0, 120, 121, 121, 119, 119, 167, 168, 0], afterSynthesis: false, seed: 83)),

        // Format 1.6: the same layout, segment 0's corrections applied after the synthesis (the step byte's top bit).
        ("speech-envelope-after.vqc", () => EnvelopeSpeech(
            (frame, band) => frame is 0 or 4 ? 0 : ((band - 10) / 3) - frame + 5,
            [(7, 2, -SegmentEnvelope.MaxValue)],
            [0, 110, 111, 111, 0, 0, 130, 131, 131, 0], afterSynthesis: true, seed: 84)),

        // Format 1.7: the same layout, segment 0's corrections after the synthesis in two rows per token frame (every
        // 10 ms; the step byte's bit 6), rows 0, 1, 8 and 19 inactive.
        ("speech-envelope-half.vqc", () => EnvelopeSpeech(
            (row, band) => row is 0 or 1 or 8 or 19 ? 0 : ((band - 9) / 3) + (row % 5) - 2,
            [(11, 17, SegmentEnvelope.MaxValue), (12, 1, -SegmentEnvelope.MaxValue)],
            [0, 105, 106, 108, 110, 0, 140, 139, 0, 0], afterSynthesis: true, seed: 85, subFrames: 2)),
        ("image-context.vqc", () =>
        {
            // Format 1.3: an image's three token levels in one TSEG chunk coded with a grid context prior (mode 5, spec §4, §5b).
            TokenPriors priors = GridPriors;
            VqcHeader h = TestData.Image(7 * 16, 5 * 16, 3, 64, 5, 7, priors.Hash);
            return (new VqcDocument(h, TestData.Grids(h, 1.0, 91)), new VqcWriterOptions { Priors = priors, Policy = TokenCodingPolicy.RansContext });
        }),
    ];

    /// <summary>A three-segment speech document (10-frame segments) whose first segment carries envelope corrections.</summary>
    private static (VqcDocument, VqcWriterOptions) EnvelopeSpeech(Func<int, int, int> value, (int Frame, int Band, int Value)[] extremes, byte[] pitch, bool afterSynthesis, ulong seed, int subFrames = 1)
    {
        TokenPriors priors = ContextPriors;
        VqcHeader h = TestData.Speech(23 * 320, 23, 10, 3, 64, priors.Hash);
        var values = new sbyte[10 * subFrames * SegmentEnvelope.Bands];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (sbyte)Math.Clamp(value(i / SegmentEnvelope.Bands, i % SegmentEnvelope.Bands), -SegmentEnvelope.MaxValue, SegmentEnvelope.MaxValue);
        }

        foreach ((int frame, int band, int v) in extremes)
        {
            values[(frame * SegmentEnvelope.Bands) + band] = (sbyte)v;
        }

        SegmentVoice?[] voices =
        [
            new SegmentVoice(pitch, 0) { Envelope = new SegmentEnvelope(10, 12, values, afterSynthesis, subFrames) },
            new SegmentVoice([100, 102, 104, 112, 96, 96, 1, 255, 247, 0], afterSynthesis ? 0 : -5),
            null,
        ];
        return (new VqcDocument(h, TestData.Grids(h, 1.0, seed)).WithVoices(voices), new VqcWriterOptions { Priors = priors });
    }

    public static string Folder
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "VqCodec.sln")))
            {
                dir = Path.GetDirectoryName(dir);
            }

            return Path.Combine(dir ?? throw new InvalidOperationException("repository root not found"), "spec", "examples");
        }
    }

    public static bool Regenerate => Environment.GetEnvironmentVariable("VQC_REGENERATE_GOLDEN") == "1";

    public static byte[] Load(string name) => File.ReadAllBytes(Path.Combine(Folder, name));
}
