using System.Text;

namespace VqCodec.Container;

/// <summary>
/// The decoder-side restoration network an image file asks for (the ancillary <c>rstr</c> chunk,
/// spec/container.md §4b): its stable id and the SHA-256 of its weights file. Payload: u8 syntax version
/// (1), u8 id length n (1..64), n bytes of UTF-8 id, 32 bytes of SHA-256.
/// </summary>
public sealed record RestorationId
{
    /// <summary>Syntax version of the payload.</summary>
    public const byte Version = 1;

    private const int HashBytes = 32;

    /// <summary>Creates an identity.</summary>
    /// <exception cref="ArgumentException">The id is empty, longer than 64 UTF-8 bytes or holds control characters, or the hash is not 32 bytes.</exception>
    public RestorationId(string id, byte[] hash)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(hash);
        if (Encoding.UTF8.GetByteCount(id) is 0 or > VqcLimits.MaxModelIdBytes || id.Any(char.IsControl))
        {
            throw new ArgumentException($"a restorer id is 1..{VqcLimits.MaxModelIdBytes} UTF-8 bytes without control characters", nameof(id));
        }

        if (hash.Length != HashBytes)
        {
            throw new ArgumentException("a restorer hash is a 32-byte SHA-256", nameof(hash));
        }

        Id = id;
        Hash = hash;
    }

    /// <summary>Stable restorer id, e.g. "vqc-image-v1-restore".</summary>
    public string Id { get; }

    /// <summary>SHA-256 of the restorer's weights file.</summary>
    public byte[] Hash { get; }

    /// <summary>True when this identity is <paramref name="id"/> with <paramref name="hash"/>.</summary>
    public bool Matches(string id, ReadOnlySpan<byte> hash) => Id == id && Hash.AsSpan().SequenceEqual(hash);

    /// <summary>Parses a payload; <paramref name="offset"/> is its position in the file, for errors.</summary>
    /// <exception cref="VqcFormatException">The payload is malformed.</exception>
    internal static RestorationId Read(ReadOnlySpan<byte> payload, long offset)
    {
        if (payload.Length < 2 || payload[0] != Version)
        {
            throw new VqcFormatException(payload.Length < 2 ? "restoration chunk too short" : $"restoration chunk syntax version {payload[0]} is not supported", offset);
        }

        int n = payload[1];
        if (n is 0 or > VqcLimits.MaxModelIdBytes || payload.Length != 2 + n + HashBytes)
        {
            throw new VqcFormatException("restoration chunk has an invalid id length or size", offset);
        }

        string id;
        try
        {
            id = new UTF8Encoding(false, true).GetString(payload.Slice(2, n));
        }
        catch (DecoderFallbackException)
        {
            throw new VqcFormatException("restorer id is not valid UTF-8", offset + 2);
        }

        if (id.Any(char.IsControl))
        {
            throw new VqcFormatException("restorer id holds control characters", offset + 2);
        }

        return new RestorationId(id, payload.Slice(2 + n, HashBytes).ToArray());
    }

    /// <summary>The chunk payload.</summary>
    internal byte[] ToPayload()
    {
        byte[] id = Encoding.UTF8.GetBytes(Id);
        var payload = new byte[2 + id.Length + HashBytes];
        payload[0] = Version;
        payload[1] = (byte)id.Length;
        id.CopyTo(payload, 2);
        Hash.CopyTo(payload, 2 + id.Length);
        return payload;
    }
}
