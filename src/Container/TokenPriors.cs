using System.Buffers.Binary;
using System.Security.Cryptography;
using VqCodec.Container.Coding;

namespace VqCodec.Container;

/// <summary>
/// Static per-level token probability tables (integer frequencies summing to 2^16) used by the rANS modes.
/// They are estimated from training tokens and ship with a model; a .vqc header names them by the
/// SHA-256 of <see cref="Serialize"/>, so a file can be decoded to tokens without the neural model.
/// Version 2 also carries a learned <see cref="ContextPrior"/> (spec §5b), which the hash then covers too.
/// </summary>
public sealed class TokenPriors
{
    private static ReadOnlySpan<byte> Magic => "VQPR"u8;

    private readonly ushort[][] _frequencies;
    private FrequencyTable[]? _tables;
    private ushort[]?[]? _lookups;

    private TokenPriors(ushort[][] frequencies, ContextPrior? context = null, byte[]? hash = null)
    {
        _frequencies = frequencies;
        Context = context;
        Hash = hash ?? SHA256.HashData(Serialize());
    }

    /// <summary>The learned context prior (token coding mode 5), or null.</summary>
    public ContextPrior? Context { get; }

    /// <summary>These tables with <paramref name="context"/> attached (a version-2 priors file with its own hash).</summary>
    public TokenPriors WithContext(ContextPrior? context) => new(_frequencies, context);

    /// <summary>Number of levels covered.</summary>
    public int Levels => _frequencies.Length;

    /// <summary>SHA-256 of the serialized tables.</summary>
    public byte[] Hash { get; }

    /// <summary>Codebook size of a level.</summary>
    public int CodebookSize(int level) => _frequencies[level].Length;

    /// <summary>Frequency of each symbol of a level (sum 2^16).</summary>
    public ReadOnlySpan<ushort> Frequencies(int level) => _frequencies[level];

    /// <summary>Builds priors from token counts per level (add-one smoothing keeps every symbol codable).</summary>
    public static TokenPriors FromCounts(IReadOnlyList<long[]> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Count is 0 or > VqcLimits.MaxLevels)
        {
            throw new ArgumentException("1..32 levels required", nameof(counts));
        }

        var freq = new ushort[counts.Count][];
        for (int l = 0; l < counts.Count; l++)
        {
            if (counts[l].Length is < 2 or > VqcLimits.MaxEntropyCodedCodebook)
            {
                throw new ArgumentException($"level {l}: 2..{VqcLimits.MaxEntropyCodedCodebook} symbols required", nameof(counts));
            }

            freq[l] = FrequencyTable.Normalize(counts[l].Select(c => c + 1).ToArray());
        }

        return new TokenPriors(freq);
    }

    /// <summary>
    /// Serialized form: "VQPR", u8 version (1, or 2 with a context prior), u8 levels, then per level u32 K and
    /// K × u16 LE; version 2 then holds u32 n and the n bytes of <see cref="ContextPrior.Serialize"/>.
    /// </summary>
    public byte[] Serialize()
    {
        byte[] context = Context?.Serialize() ?? [];
        int tables = 6 + _frequencies.Sum(f => 4 + (2 * f.Length));
        int size = tables + (Context is null ? 0 : 4 + context.Length);
        var buffer = new byte[size];
        Magic.CopyTo(buffer);
        buffer[4] = (byte)(Context is null ? 1 : 2);
        buffer[5] = (byte)_frequencies.Length;
        int p = 6;
        foreach (ushort[] f in _frequencies)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(p), f.Length);
            p += 4;
            foreach (ushort v in f)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(p), v);
                p += 2;
            }
        }

        if (Context is not null)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(p), context.Length);
            context.CopyTo(buffer.AsSpan(p + 4));
        }

        return buffer;
    }

    /// <summary>Parses <see cref="Serialize"/> output.</summary>
    /// <exception cref="VqcFormatException">The bytes are not a valid priors table.</exception>
    public static TokenPriors Deserialize(ReadOnlySpan<byte> data)
    {
        if (data.Length < 6 || !data[..4].SequenceEqual(Magic) || data[4] is not (1 or 2) || data[5] is 0 or > VqcLimits.MaxLevels)
        {
            throw new VqcFormatException("not a version-1 or version-2 token priors table", 0);
        }

        int levels = data[5];
        var freq = new ushort[levels][];
        int p = 6;
        for (int l = 0; l < levels; l++)
        {
            if (data.Length - p < 4)
            {
                throw new VqcFormatException("token priors truncated", p);
            }

            int k = BinaryPrimitives.ReadInt32LittleEndian(data[p..]);
            p += 4;
            if (k is < 2 or > VqcLimits.MaxEntropyCodedCodebook || data.Length - p < 2 * k)
            {
                throw new VqcFormatException("token priors level size invalid or truncated", p);
            }

            freq[l] = new ushort[k];
            long sum = 0;
            for (int i = 0; i < k; i++)
            {
                freq[l][i] = BinaryPrimitives.ReadUInt16LittleEndian(data[p..]);
                if (freq[l][i] == 0)
                {
                    throw new VqcFormatException("token priors hold a zero frequency", p);
                }

                sum += freq[l][i];
                p += 2;
            }

            if (sum != FrequencyTable.Total)
            {
                throw new VqcFormatException("token priors frequencies do not sum to 65536", p);
            }
        }

        ContextPrior? context = null;
        if (data[4] == 2)
        {
            if (data.Length - p < 4)
            {
                throw new VqcFormatException("token priors truncated before the context prior", p);
            }

            int n = BinaryPrimitives.ReadInt32LittleEndian(data[p..]);
            p += 4;
            if (n < 1 || n > data.Length - p)
            {
                throw new VqcFormatException("context prior length invalid or truncated", p);
            }

            context = ContextPrior.Deserialize(data.Slice(p, n));
            p += n;
        }

        if (p != data.Length)
        {
            throw new VqcFormatException("trailing bytes after token priors", p);
        }

        // The layout is canonical (exact sizes, nothing trailing), so the parsed bytes are Serialize()'s output.
        return new TokenPriors(freq, context, SHA256.HashData(data));
    }

    /// <summary>Ideal code length in bits of <paramref name="tokens"/> with level <paramref name="level"/>'s table (−log2 of each frequency / 2^16).</summary>
    public double IdealBits(int level, ReadOnlySpan<int> tokens)
    {
        ushort[] f = _frequencies[level];
        double bits = 0;
        foreach (int t in tokens)
        {
            bits += FrequencyTable.ScaleBits - Math.Log2(f[t]);
        }

        return bits;
    }

    internal FrequencyTable Table(int level)
    {
        _tables ??= _frequencies.Select(f => new FrequencyTable(f)).ToArray();
        return _tables[level];
    }

    internal ushort[] Lookup(int level)
    {
        _lookups ??= new ushort[]?[_frequencies.Length];
        return _lookups[level] ??= Table(level).BuildLookup();
    }

    /// <summary>
    /// The one way priors are found for a file: a resolver (for <see cref="VqcReader"/>) that returns the first of
    /// <paramref name="candidates"/> whose hash is the header's priors hash, or null (no priors named, or none
    /// of these).
    /// </summary>
    public static Func<VqcHeader, TokenPriors?> Resolver(params IEnumerable<TokenPriors?> candidates)
    {
        TokenPriors[] list = [.. candidates.OfType<TokenPriors>()];
        return header => header.HasPriors ? list.FirstOrDefault(p => p.Hash.AsSpan().SequenceEqual(header.PriorsHash)) : null;
    }
}
