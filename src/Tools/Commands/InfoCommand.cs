using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using VqCodec.Container;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc info FILE [--json]`: header, layout and bitrate from the total file size; no model needed.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A .vqc file." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var model = ModelOptions.ImageModelOption();
        var command = new Command("info", "Show a .vqc file's header, token layout and bitrate.") { file, json, model };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            byte[] data = InputStream.ReadAll(path);
            VqcHeader h = VqcProbe.ReadHeader(data).Header;
            var chunks = new List<object>();
            var modes = new Dictionary<string, int>();
            int detailBytes = 0;
            DetailLayerHeader? detailHeader = null;
            DetailLayerSummary? detailSummary = null;
            RestorationId? restoration = null;
            var voices = new List<SegmentVoice>();
            using (var reader = new VqcReader(new MemoryStream(data), ModelOptions.PriorsResolver(parse.GetValue(model)), leaveOpen: false, structureOnlyWithoutPriors: true))
            {
                reader.ReadHeader();
                while (reader.GetNextPlane() is { } plane)
                {
                    modes[plane.Mode.ToString()] = modes.GetValueOrDefault(plane.Mode.ToString()) + 1;
                    if (plane.Voice is { } v)
                    {
                        voices.Add(v);
                    }

                    chunks.Add(new { level = plane.Level, segment = plane.Segment, mode = plane.Mode.ToString(), bytes = plane.StoredBytes });
                }

                detailBytes = reader.Detail?.Length ?? 0;
                detailHeader = reader.Detail is { } payload ? ReadableDetailHeader(payload) : null;
                detailSummary = reader.Detail is { } p && detailHeader is not null ? ReadableDetailSummary(p, h.Width, h.Height) : null;
                restoration = reader.Detail is null ? null : reader.Restoration;
            }

            double seconds = h.Kind == MediaKind.Speech ? h.SampleCount / (double)h.SampleRate : 0;
            byte[] codes = [.. voices.SelectMany(v => v.Pitch.ToArray())];
            double[] voicedHz = [.. codes.Where(c => c != 0).Select(SegmentVoice.PitchHz).Order()];
            var voice = voices.Count == 0 ? null : new
            {
                segments = voices.Count,
                bytes = voices.Sum(v => v.Serialize().Length),
                voicedFrames = voicedHz.Length,
                frames = codes.Length,
                medianF0 = voicedHz.Length == 0 ? (double?)null : voicedHz[voicedHz.Length / 2],
                minGainDb = voices.Min(v => v.GainQuarterDb) / 4.0,
                maxGainDb = voices.Max(v => v.GainQuarterDb) / 4.0,
            };
            SegmentEnvelope[] envelopes = [.. voices.Select(v => v.Envelope).OfType<SegmentEnvelope>()];
            var envelope = envelopes.Length == 0 ? null : new
            {
                segments = envelopes.Length,
                bytes = envelopes.Sum(e => e.Serialize().Length),
                activeFrames = envelopes.Sum(e => Enumerable.Range(0, e.Frames).Count(f => e.Frame(f).ContainsAnyExcept((sbyte)0))),
                stepDb = envelopes[0].StepQuarterDb / 4.0,
                applied = envelopes.All(e => e.AfterSynthesis) ? "after synthesis" : envelopes.Any(e => e.AfterSynthesis) ? "before or after synthesis by segment" : "before synthesis",
            };
            double bpp = h.Kind == MediaKind.Image ? data.Length * 8.0 / ((double)h.Width * h.Height) : 0;
            double kbps = seconds > 0 ? data.Length * 8.0 / seconds / 1000 : 0;
            if (parse.GetValue(json))
            {
                bool image = h.Kind == MediaKind.Image;
                var o = new
                {
                    kind = h.Kind.ToString().ToLowerInvariant(),
                    bytes = data.Length,
                    width = image ? h.Width : (int?)null,
                    height = image ? h.Height : (int?)null,
                    sampleRate = image ? (int?)null : h.SampleRate,
                    sampleCount = image ? (long?)null : h.SampleCount,
                    durationSeconds = image ? (double?)null : seconds,
                    channels = h.Channels,
                    bitsPerSample = h.BitsPerSample,
                    model = h.ModelId,
                    modelSha256 = Convert.ToHexString(h.ModelHash).ToLowerInvariant(),
                    priorsSha256 = h.HasPriors ? Convert.ToHexString(h.PriorsHash).ToLowerInvariant() : null,
                    levels = h.Levels.Select(l => new { codebook = l.CodebookSize, height = l.GridHeight, width = l.GridWidth }).ToArray(),
                    detail = detailBytes == 0 ? null : new { bytes = detailBytes, syntax = (int?)detailHeader?.Version, lumaStep = detailHeader?.LumaStep, chromaStep = detailHeader?.ChromaStep, blocks = detailSummary?.Blocks, codedBlocks = detailSummary?.CodedBlocks, macroblocks = detailSummary?.Macroblocks, blocks16 = detailSummary?.LargeBlocks, blocks32 = detailSummary?.LargestBlocks },
                    restoration = restoration is null ? null : new { id = restoration.Id, sha256 = Convert.ToHexString(restoration.Hash).ToLowerInvariant() },
                    voice,
                    envelope,
                    segmentLength = image ? (int?)null : h.SegmentLength,
                    segments = image ? (int?)null : h.SegmentCount,
                    bitsPerPixel = image ? bpp : (double?)null,
                    kbps = image ? (double?)null : kbps,
                    tokenChunks = chunks,
                };
                Console.WriteLine(JsonSerializer.Serialize(o, new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                var ci = CultureInfo.InvariantCulture;
                Console.WriteLine($"file:      {Cli.Printable(path)} ({data.Length} bytes)");
                Console.WriteLine(h.Kind == MediaKind.Image
                    ? $"media:     image {h.Width}x{h.Height}, {h.Channels} channel(s), {h.BitsPerSample}-bit source"
                    : $"media:     speech {h.SampleRate} Hz, {h.SampleCount} samples ({seconds.ToString("F2", ci)} s)");
                Console.WriteLine($"model:     {Cli.Printable(h.ModelId)} sha256 {Convert.ToHexString(h.ModelHash).ToLowerInvariant()}");
                Console.WriteLine($"priors:    {(h.HasPriors ? Convert.ToHexString(h.PriorsHash).ToLowerInvariant() : "none")}");
                Console.WriteLine($"tokens:    {h.Levels.Length} levels, codebook {h.Levels[0].CodebookSize}, grid {h.Levels[0].GridHeight}x{h.Levels[0].GridWidth}, {h.SegmentCount} segment(s)");
                Console.WriteLine($"coding:    {string.Join(", ", modes.Select(kv => $"{kv.Key} x{kv.Value}"))}");
                if (h.Kind == MediaKind.Image)
                {
                    Console.WriteLine(detailHeader is { } d
                        ? string.Create(ci, $"detail:    {detailBytes} bytes (DETL syntax {d.Version}), luma step {d.LumaStep:0.###}, chroma step {d.ChromaStep:0.###}{(detailSummary is { } m ? $", {m.CodedBlocks} of {m.Blocks} blocks coded{(m.Version >= 2 ? $", {m.LargeBlocks} 16x16{(m.Version >= 3 ? $" and {m.LargestBlocks} 32x32" : "")}" : "")}" : "")}")
                        : detailBytes > 0 ? $"detail:    {detailBytes} bytes (DETL), syntax not readable by this version" : "detail:    none");
                    Console.WriteLine(restoration is null ? "restore:   none" : $"restore:   {Cli.Printable(restoration.Id)} sha256 {Convert.ToHexString(restoration.Hash).ToLowerInvariant()}");
                }

                if (h.Kind == MediaKind.Speech)
                {
                    Console.WriteLine(voice is null ? "voice:     none" : string.Create(ci,
                        $"voice:     {voice.segments} of {h.SegmentCount} segments, {voice.bytes} bytes, {voice.voicedFrames} of {voice.frames} frames voiced{(voice.medianF0 is double f ? $" (median F0 {f:F0} Hz)" : "")}, gain {voice.minGainDb:+0.00;-0.00;0} to {voice.maxGainDb:+0.00;-0.00;0} dB"));
                    Console.WriteLine(envelope is null ? "envelope:  none" : string.Create(ci,
                        $"envelope:  {envelope.segments} of {h.SegmentCount} segments, {envelope.bytes} bytes, {envelope.activeFrames} of {voice!.frames} frames corrected, step {envelope.stepDb:0.##} dB, applied {envelope.applied}"));
                }

                Console.WriteLine(h.Kind == MediaKind.Image
                    ? $"rate:      {bpp.ToString("F4", ci)} bits per pixel"
                    : $"rate:      {kbps.ToString("F3", ci)} kbps");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The detail layer's block counts, or null when its blocks do not parse (`vqc verify` reports that).</summary>
    private static DetailLayerSummary? ReadableDetailSummary(byte[] payload, int width, int height)
    {
        try
        {
            return DetailPayloadReader.Summarize(payload, width, height);
        }
        catch (VqcFormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The detail layer's first bytes, or null when they are not this library's syntax: the container treats the
    /// payload as opaque (the golden image-detail.vqc holds such bytes), so info shows its size only.
    /// </summary>
    private static DetailLayerHeader? ReadableDetailHeader(byte[] payload)
    {
        try
        {
            return DetailLayerHeader.Read(payload);
        }
        catch (VqcFormatException)
        {
            return null;
        }
    }
}
