using System.Buffers.Binary;
using System.IO.Hashing;
using VqCodec.Codec.Image;
using VqCodec.Codec.Speech;
using VqCodec.Container;
using VqCodec.Tools;
using VqCodec.Tools.IO;

namespace VqCodec.Fuzz;

/// <summary>
/// What the fuzzers drive: the container reader, the image and speech decoders (with the small test models, so
/// each input runs in milliseconds; the parsing and allocation code is the same for any model) and the WAV
/// reader. Each target returns normally or throws one of its documented exceptions; anything else, or a hang,
/// is a finding.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The targets by name.</summary>
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>
    {
        ["reader"] = Reader,
        ["incremental"] = Incremental,
        ["image"] = ImageDecoder,
        ["speech"] = SpeechDecoder,
        ["wav"] = Wav,
    };

    private static readonly Lazy<ImageModel> Image = new(TinyModels.LoadImage);
    private static readonly Lazy<SpeechModel> Speech = new(TinyModels.LoadSpeech);
    private static readonly Lazy<TokenPriors[]> GoldenPriors = new(() =>
    {
        // image-static.vqpr, speech-context.vqpr (its sequence prior decodes the mode-5 segments of speech-context.vqc) and
        // image-context.vqpr (its grid prior decodes the mode-5 TSEG chunk of image-context.vqc).
        string dir = Path.Combine(AppContext.BaseDirectory, "golden");
        return Directory.Exists(dir) ? [.. Directory.GetFiles(dir, "*.vqpr").Order(StringComparer.Ordinal).Select(f => TokenPriors.Deserialize(File.ReadAllBytes(f)))] : [];
    });

    /// <summary>True for the exceptions a target documents for bad input.</summary>
    public static bool IsDocumented(Exception ex) =>
        ex is VqcFormatException or ModelMismatchException or CliException;

    /// <summary>The container reader over a whole file, with every priors table the seeds use.</summary>
    public static void Reader(byte[] data) => VqcDocument.Read(new MemoryStream(data), Priors);

    /// <summary>The incremental reader, fed the file in pieces of 1 to 61 bytes (sizes from the file's own length), then told the input ended.</summary>
    public static void Incremental(byte[] data)
    {
        using var reader = new VqcIncrementalReader(Priors);
        for (int at = 0, piece = 1 + (data.Length % 61); at < data.Length; at += piece, piece = 1 + ((piece * 7) % 61))
        {
            reader.Append(data.AsSpan(at, Math.Min(piece, data.Length - at)));
            while (reader.TryReadPlane(out VqcTokenPlane? plane) == System.Buffers.OperationStatus.Done && plane is not null)
            {
            }
        }

        reader.Complete();
    }

    /// <summary>The full image decoder (tokens, detail layer, network), limited to 2^18 pixels per file.</summary>
    public static void ImageDecoder(byte[] data) =>
        ImageCodec.Decode(Image.Value, new MemoryStream(data), new ImageDecodeOptions { MaxPixels = 1 << 18 });

    /// <summary>The full speech decoder to the end chunk.</summary>
    public static void SpeechDecoder(byte[] data) => SpeechCodec.Decode(Speech.Value, new MemoryStream(data));

    /// <summary>The CLI's WAV reader.</summary>
    public static void Wav(byte[] data)
    {
        using var reader = new WavReader(new MemoryStream(data), "fuzz.wav");
        reader.ReadAll();
    }

    /// <summary>Seed inputs of a target: the golden files, files made by the test models, WAV files of several formats.</summary>
    public static List<byte[]> Seeds(string target)
    {
        string golden = Path.Combine(AppContext.BaseDirectory, "golden");
        switch (target)
        {
            case "reader":
            case "incremental":
                return [.. Directory.GetFiles(golden, "*.vqc").Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];
            case "image":
            {
                RgbImage picture = TinyModels.Gradient(64, 48);
                var seeds = new List<byte[]>();
                foreach (ImageEncodeOptions options in new[] { new ImageEncodeOptions { Levels = 2 }, new ImageEncodeOptions { DetailStep = 24 }, new ImageEncodeOptions { Levels = 4, Policy = TokenCodingPolicy.Packed } })
                {
                    var ms = new MemoryStream();
                    ImageCodec.Encode(Image.Value, picture, ms, options);
                    seeds.Add(ms.ToArray());
                }

                return seeds;
            }

            case "speech":
            {
                var seeds = new List<byte[]>();
                foreach (SpeechEncodeOptions options in new[] { new SpeechEncodeOptions { Levels = 2 }, new SpeechEncodeOptions { SegmentFrames = 20 }, new SpeechEncodeOptions { Levels = 2, EnvelopeHalfFrames = true } })
                {
                    var ms = new MemoryStream();
                    SpeechCodec.Encode(Speech.Value, TinyModels.Voice(1.3), 16000, ms, options);
                    seeds.Add(ms.ToArray());
                }

                return seeds;
            }

            case "wav":
            {
                float[] voice = TinyModels.Voice(0.05);
                var seeds = new List<byte[]>();
                var pcm = new MemoryStream();
                WavWriter.WritePcm16(pcm, voice, 16000);
                seeds.Add(pcm.ToArray());
                seeds.Add(File.ReadAllBytes(Path.Combine(golden, "sample.wav"))[..4096]);
                return seeds;
            }

            default:
                throw new ArgumentException($"unknown target '{target}' ({string.Join(", ", All.Keys)})", nameof(target));
        }
    }

    /// <summary>
    /// Recomputes the preamble's and every well-framed chunk's CRC, so that a mutation reaches the parser of
    /// the payload it hit instead of stopping at the checksum.
    /// </summary>
    public static byte[] FixChecksums(byte[] data)
    {
        byte[] d = (byte[])data.Clone();
        if (d.Length < 16 || d[0] != 0x89 || d[1] != (byte)'V')
        {
            return d;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(12), Crc32.HashToUInt32(d.AsSpan(0, 12)));
        long p = 16;
        while (p + 12 <= d.Length)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(d.AsSpan((int)p + 4));
            if (length < 0 || p + 12 + length > d.Length)
            {
                break;
            }

            BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan((int)(p + 8 + length)), Crc32.HashToUInt32(d.AsSpan((int)p, 8 + length)));
            p += 12 + length;
        }

        return d;
    }

    private static TokenPriors? Priors(VqcHeader header)
    {
        foreach (TokenPriors? candidate in GoldenPriors.Value.Append(Image.Value.Priors).Append(Speech.Value.Priors))
        {
            if (candidate is not null && candidate.Hash.AsSpan().SequenceEqual(header.PriorsHash))
            {
                return candidate;
            }
        }

        return null;
    }
}
