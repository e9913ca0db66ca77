using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using VqCodec.Container;

namespace VqCodec.Codec.Models;

/// <summary>
/// The on-disk form of a shipped model (.vqm): "VQM1", u32 length + UTF-8 JSON description (kind, id,
/// architecture, training facts), u32 length + token priors (<see cref="TokenPriors.Serialize"/>, may
/// be empty), then the TorchSharp state dictionary with float16 tensors. The SHA-256 of the whole file
/// is the model hash written into every .vqc header.
/// </summary>
internal sealed class ModelBundle
{
    private static ReadOnlySpan<byte> Magic => "VQM1"u8;

    private const int MaxDescription = 1 << 20;
    private const int MaxPriors = 1 << 25;

    public required ModelDescription Description { get; init; }

    public TokenPriors? Priors { get; init; }

    public required byte[] State { get; init; }

    public static byte[] Serialize(ModelDescription description, TokenPriors? priors, byte[] state)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(description);
        byte[] pr = priors?.Serialize() ?? [];
        var ms = new MemoryStream();
        ms.Write(Magic);
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, json.Length);
        ms.Write(len);
        ms.Write(json);
        BinaryPrimitives.WriteInt32LittleEndian(len, pr.Length);
        ms.Write(len);
        ms.Write(pr);
        ms.Write(state);
        return ms.ToArray();
    }

    /// <summary>Throws <see cref="ModelMismatchException"/> when a header names a model other than (id, hash).</summary>
    public static void EnsureMatches(VqcHeader header, string id, byte[] hash)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (header.ModelId != id || !header.ModelHash.AsSpan().SequenceEqual(hash))
        {
            throw new ModelMismatchException(header.ModelId, Convert.ToHexString(header.ModelHash), id, Convert.ToHexString(hash));
        }
    }

    /// <exception cref="VqcFormatException">Not a model bundle (the offset locates the problem in the model file).</exception>
    public static (ModelBundle Bundle, byte[] Hash) Parse(byte[] data)
    {
        byte[] hash = SHA256.HashData(data);
        ReadOnlySpan<byte> s = data;
        if (s.Length < 12 || !s[..4].SequenceEqual(Magic))
        {
            throw new VqcFormatException("not a VqCodec model file (bad magic)", 0);
        }

        int jsonLength = BinaryPrimitives.ReadInt32LittleEndian(s[4..]);
        if (jsonLength < 2 || jsonLength > MaxDescription || s.Length < 8 + jsonLength + 4)
        {
            throw new VqcFormatException("model file description is truncated or too large", 4);
        }

        ModelDescription description;
        try
        {
            description = JsonSerializer.Deserialize<ModelDescription>(s.Slice(8, jsonLength))
                ?? throw new VqcFormatException("model file description is empty", 8);
        }
        catch (JsonException ex)
        {
            throw new VqcFormatException($"model file description is not valid JSON ({ex.Message.Split('\n')[0]})", 8);
        }
        int p = 8 + jsonLength;
        int priorsLength = BinaryPrimitives.ReadInt32LittleEndian(s[p..]);
        p += 4;
        if (priorsLength < 0 || priorsLength > MaxPriors || s.Length < p + priorsLength)
        {
            throw new VqcFormatException("model file priors are truncated or too large", p - 4);
        }

        TokenPriors? priors = null;
        if (priorsLength > 0)
        {
            try
            {
                priors = TokenPriors.Deserialize(s.Slice(p, priorsLength));
            }
            catch (VqcFormatException ex)
            {
                throw new VqcFormatException($"model file priors are invalid: {ex.Message}", p);
            }
        }

        p += priorsLength;
        return (new ModelBundle { Description = description, Priors = priors, State = s[p..].ToArray() }, hash);
    }
}

/// <summary>JSON description of a model bundle.</summary>
public sealed record ModelDescription
{
    /// <summary>"image", "speech" or "restorer".</summary>
    public required string Kind { get; init; }

    /// <summary>Stable model id written into .vqc headers.</summary>
    public required string Id { get; init; }

    /// <summary>Image architecture (when Kind is "image").</summary>
    public ImageModelConfig? Image { get; init; }

    /// <summary>Speech architecture (when Kind is "speech").</summary>
    public SpeechModelConfig? Speech { get; init; }

    /// <summary>Restoration network architecture (when Kind is "restorer").</summary>
    public RestorerConfig? Restorer { get; init; }

    /// <summary>Id of the image model whose decoded images a restorer restores (when Kind is "restorer").</summary>
    public string? BaseModel { get; init; }

    /// <summary>Free-form training facts (steps, command, data).</summary>
    public Dictionary<string, string> Training { get; init; } = [];
}
