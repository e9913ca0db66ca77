using System.Diagnostics;
using VqCodec.Codec.Speech;
using VqCodec.Codec.Training;
using VqCodec.Container;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Commands;

/// <summary>Speech encode/decode/export for the verbs that accept both media. Audio streams through in blocks.</summary>
internal static class SpeechVerbs
{
    private const int Block = 1 << 15;

    /// <summary>A one-line warning when the first 10 s of a WAV file do not look like speech.</summary>
    private static void WarnIfNotSpeech(string input)
    {
        using var probe = new WavReader(new BufferedStream(File.OpenRead(input), 1 << 16), input);
        var head = new float[(int)Math.Min(probe.FrameCount, 10L * probe.SampleRate)];
        int got = 0, n;
        while (got < head.Length && (n = probe.Read(head.AsSpan(got))) > 0)
        {
            got += n;
        }

        WarnIfNotSpeech(input, VqCodec.Codec.Audio.Resampler.Resample(head[..got], probe.SampleRate, 16000));
    }

    private static void WarnIfNotSpeech(string input, float[] pcm16k)
    {
        if (SpeechLikeness.Problem(pcm16k, 16000) is { } problem)
        {
            Console.Error.WriteLine($"vqc: warning: {input}: {problem}");
        }
    }

    /// <summary>A one-line warning when even one level does not fit the rate target (the file is written with one level).</summary>
    private static void WarnIfUnreachable(string input, SpeechEncodeResult r, double target)
    {
        if (r.Kbps > target)
        {
            Console.Error.WriteLine($"vqc: warning: {input}: {target.ToString(System.Globalization.CultureInfo.InvariantCulture)} kbps is below the lowest rate this model reaches on this file ({r.Kbps:F2} kbps with 1 level); wrote that");
        }
    }

    /// <summary>Compressed audio (FLAC, Opus, MP3, ...): decoded through ffmpeg to 16 kHz mono, then encoded whole.</summary>
    private static void EncodeDecodedAudio(string input, string output, Lazy<SpeechModel> model, SpeechEncodeOptions options, bool force, Stopwatch clock)
    {
        float[] pcm = AudioFiles.ReadMono(input, 16000);
        WarnIfNotSpeech(input, pcm);

        SpeechModel m = model.Value;
        SpeechEncodeResult result = default!;
        OutputFile.Write(output, force, s => result = SpeechCodec.Encode(m, pcm, 16000, s, options));
        if (options.TargetKbps is double target)
        {
            WarnIfUnreachable(input, result, target);
        }

        Console.Error.WriteLine($"{input} -> {output}: {pcm.Length / 16000.0:F2} s (decoded by ffmpeg), {result.Levels} levels, {result.Bytes} bytes, {result.Bytes * 8 / (pcm.Length / 16000.0) / 1000:F2} kbps, {clock.Elapsed.TotalSeconds:F2} s");
    }

    /// <summary>Encodes one audio file with <paramref name="options"/> (levels or a rate target, coding policy, voice and envelope choices, segment length).</summary>
    public static void Encode(string input, string output, Lazy<SpeechModel> model, SpeechEncodeOptions options, bool force, CancellationToken token)
    {
        OutputFile.Check(output, force);
        var clock = Stopwatch.StartNew();
        if (!File.Exists(input))
        {
            throw new CliException($"{input}: no such file", ExitCodes.IoError);
        }

        if (!AudioFiles.IsWav(input))
        {
            EncodeDecodedAudio(input, output, model, options, force, clock);
            return;
        }

        WarnIfNotSpeech(input);
        using var reader = new WavReader(new BufferedStream(File.OpenRead(input), 1 << 16), input);
        if (reader.FrameCount == 0)
        {
            throw new CliException($"{input}: the WAV file holds no samples", ExitCodes.InvalidData);
        }

        SpeechModel m = model.Value;
        // The header records 8/16/24/32-bit sources; 64-bit float input is recorded as 32-bit.
        var source = new SpeechSource(reader.SampleRate, reader.FrameCount, Math.Min(reader.BitsPerSample, 32));
        double seconds = (double)reader.FrameCount / reader.SampleRate;
        int keptLevels;
        long bytes;
        if (options.TargetKbps is double target)
        {
            // Every level once (tokens only: bounded by duration × 1 kB/s), then the most levels that fit; the WAV is
            // read again for each pass, so the samples are never held whole.
            var fitted = new MemoryStream();
            SpeechEncodeResult r = SpeechCodec.EncodeAtRate(m, source, encoder =>
            {
                using var pass = new WavReader(new BufferedStream(File.OpenRead(input), 1 << 16), input);
                Pump(pass, encoder, token);
            }, options, fitted);
            OutputFile.WriteBytes(output, force, fitted.ToArray());
            (keptLevels, bytes) = (r.Levels, r.Bytes);
            WarnIfUnreachable(input, r, target);
        }
        else
        {
            (keptLevels, bytes) = (0, 0);
            OutputFile.Write(output, force, s =>
            {
                VqcHeader h = EncodeStream(reader, m, s, source, options, token);
                keptLevels = h.Levels.Length;
                bytes = s.CanSeek ? s.Length : 0;
            });
        }

        double t = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"{input} -> {output}: {seconds:F2} s at {reader.SampleRate} Hz, {keptLevels} levels, {bytes} bytes, {bytes * 8 / seconds / 1000:F3} kbps, {t:F2} s ({seconds / t:F1}x real time)");
    }

    private static VqcHeader EncodeStream(WavReader reader, SpeechModel model, Stream output, SpeechSource source, SpeechEncodeOptions options, CancellationToken token)
    {
        using var encoder = new SpeechEncoder(model, output, source, options, leaveOpen: true);
        Pump(reader, encoder, token);
        encoder.Complete();
        return encoder.Header;
    }

    /// <summary>Writes every sample <paramref name="reader"/> holds into <paramref name="encoder"/>, a block at a time.</summary>
    private static void Pump(WavReader reader, SpeechEncoder encoder, CancellationToken token)
    {
        var buffer = new float[Block];
        int n;
        while ((n = reader.Read(buffer)) > 0)
        {
            token.ThrowIfCancellationRequested();
            encoder.Write(buffer.AsSpan(0, n));
        }
    }

    public static void Decode(string input, byte[] data, string output, Lazy<SpeechModel> model, bool originalRate, bool force, CancellationToken token, long maxSamples = 1L << 31)
    {
        OutputFile.Check(output, force);
        var clock = Stopwatch.StartNew();
        using var decoder = new SpeechDecoder(model.Value, new MemoryStream(data), new SpeechDecodeOptions { OriginalRate = originalRate });
        if (decoder.OutputLength > maxSamples)
        {
            throw new CliException($"{input}: the file declares {decoder.OutputLength} samples, above --max-samples {maxSamples}", ExitCodes.InvalidData);
        }

        OutputFile.Write(output, force, s =>
        {
            var wav = new WavWriter(s, decoder.OutputSampleRate, decoder.OutputLength);
            var buffer = new float[Block];
            int n;
            while ((n = decoder.Read(buffer)) > 0)
            {
                token.ThrowIfCancellationRequested();
                wav.Write(buffer.AsSpan(0, n));
            }

            wav.Finish();
        });
        double seconds = (double)decoder.OutputLength / decoder.OutputSampleRate, t = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"{input} -> {output}: {seconds:F2} s at {decoder.OutputSampleRate} Hz, {decoder.Header!.Levels.Length} levels, {t:F2} s ({seconds / t:F1}x real time)");
    }

    public static byte[] Export(string checkpoint, string data, string id, ConsoleProgress log, CancellationToken token)
    {
        List<float[]> signals = InputFiles.Expand([data], [".wav"]).Select(f => WavReader.ReadMono(f, 16000)).ToList();
        var facts = new Dictionary<string, string> { ["data"] = data, ["checkpoint"] = checkpoint };
        return SpeechModelExporter.Export(checkpoint, signals, id, facts, new SyncProgress<TrainingProgress>(p => log.Update(p.Step, p.TotalSteps)), token);
    }
}
