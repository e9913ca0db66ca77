using System.Buffers.Binary;
using System.Text;

namespace VqCodec.Container;

/// <summary>Token grid of one RVQ level.</summary>
/// <param name="CodebookSize">Number of codewords K (indices are 0..K-1).</param>
/// <param name="GridHeight">Rows of the grid (1 for speech).</param>
/// <param name="GridWidth">Columns of the grid (frames for speech).</param>
public readonly record struct TokenLevelLayout(int CodebookSize, int GridHeight, int GridWidth)
{
    /// <summary>Tokens in the whole grid.</summary>
    public long Cells => (long)GridHeight * GridWidth;
}

/// <summary>
/// The .vqc header (the VQHD chunk): media description, model identity, entropy-table identity and token
/// layout. Immutable; <see cref="Validate"/> enforces the format's rules and caps.
/// </summary>
public sealed record VqcHeader
{
    /// <summary>What the file encodes.</summary>
    public required MediaKind Kind { get; init; }

    /// <summary>File offset of the header chunk (it follows the 16-byte preamble); where errors about its fields point.</summary>
    public const int FileOffset = ChunkIO.PreambleSize;

    /// <summary>Image width in pixels (0 for speech).</summary>
    public int Width { get; init; }

    /// <summary>Image height in pixels (0 for speech).</summary>
    public int Height { get; init; }

    /// <summary>Channels of the source (1, 3 or 4 for images, 1 for speech).</summary>
    public int Channels { get; init; } = 3;

    /// <summary>Bits per sample of the source (8 or 16 for images; 16 for speech).</summary>
    public int BitsPerSample { get; init; } = 8;

    /// <summary>Sample rate in Hz (speech; 0 for images).</summary>
    public int SampleRate { get; init; }

    /// <summary>Number of samples (speech; 0 for images).</summary>
    public long SampleCount { get; init; }

    /// <summary>Stable model id, e.g. "vqc-image-v1".</summary>
    public required string ModelId { get; init; }

    /// <summary>SHA-256 of the model weights file (32 bytes).</summary>
    public required byte[] ModelHash { get; init; }

    /// <summary>SHA-256 of the token priors used by the rANS modes, or 32 zero bytes for none.</summary>
    public byte[] PriorsHash { get; init; } = new byte[32];

    /// <summary>Tokens per segment along the grid width (speech), or 0 for one segment (images).</summary>
    public int SegmentLength { get; init; }

    /// <summary>One entry per RVQ level, in level order.</summary>
    public required TokenLevelLayout[] Levels { get; init; }

    /// <summary>True when <see cref="PriorsHash"/> names a priors table.</summary>
    public bool HasPriors => PriorsHash.Any(b => b != 0);

    /// <summary>Number of segments the token grids are split into.</summary>
    public int SegmentCount => SegmentLength == 0 ? 1 : (int)((Levels[0].GridWidth + (long)SegmentLength - 1) / SegmentLength);

    /// <summary>Tokens of <paramref name="level"/> in <paramref name="segment"/>.</summary>
    public int TokensInSegment(int level, int segment)
    {
        TokenLevelLayout l = Levels[level];
        if (SegmentLength == 0)
        {
            return (int)l.Cells;
        }

        int start = segment * SegmentLength;
        return l.GridHeight * Math.Min(SegmentLength, l.GridWidth - start);
    }

    /// <summary>Checks every field against the format rules.</summary>
    /// <exception cref="ArgumentException">A field is out of range or inconsistent.</exception>
    public void Validate()
    {
        string? problem = Problem();
        if (problem is not null)
        {
            throw new ArgumentException(problem);
        }
    }

    internal string? Problem()
    {
        if (ModelHash is not { Length: 32 } || PriorsHash is not { Length: 32 })
        {
            return "model and priors hashes must be 32 bytes";
        }

        if (ModelId is null || Encoding.UTF8.GetByteCount(ModelId) is 0 or > VqcLimits.MaxModelIdBytes)
        {
            return $"model id must be 1..{VqcLimits.MaxModelIdBytes} UTF-8 bytes";
        }

        if (Levels is null || Levels.Length is 0 or > VqcLimits.MaxLevels)
        {
            return $"level count must be 1..{VqcLimits.MaxLevels}";
        }

        foreach (TokenLevelLayout l in Levels)
        {
            if (l.CodebookSize is < 2 or > VqcLimits.MaxCodebookSize)
            {
                return $"codebook size {l.CodebookSize} outside 2..{VqcLimits.MaxCodebookSize}";
            }

            if (l.GridHeight < 1 || l.GridWidth < 1 || l.Cells > VqcLimits.MaxTokensPerLevel)
            {
                return $"token grid {l.GridHeight}x{l.GridWidth} outside 1..{VqcLimits.MaxTokensPerLevel} tokens";
            }
        }

        switch (Kind)
        {
            case MediaKind.Image:
                if (Width is < 1 or > VqcLimits.MaxImageSide || Height is < 1 or > VqcLimits.MaxImageSide)
                {
                    return $"image size {Width}x{Height} outside 1..{VqcLimits.MaxImageSide}";
                }

                if (Channels is not (1 or 3 or 4) || BitsPerSample is not (8 or 16) || SampleRate != 0 || SampleCount != 0 || SegmentLength != 0)
                {
                    return "image header has inconsistent channel, depth, sample or segment fields";
                }

                if (Levels.Any(l => l.GridHeight != Levels[0].GridHeight || l.GridWidth != Levels[0].GridWidth) || Levels[0].Cells > (long)Width * Height)
                {
                    return "image token grids must share one shape no larger than the image";
                }

                if (Levels[0].Cells > VqcLimits.MaxTokensPerChunk)
                {
                    return $"an image level is one token chunk: at most {VqcLimits.MaxTokensPerChunk} tokens";
                }

                break;
            case MediaKind.Speech:
                if (SampleRate is < 1000 or > 384000 || SampleCount is < 1 or > VqcLimits.MaxSampleCount || Channels != 1 || BitsPerSample is not (8 or 16 or 24 or 32) || Width != 0 || Height != 0)
                {
                    return "speech header has an invalid sample rate, sample count, channel count or depth";
                }

                if (Levels.Any(l => l.GridHeight != 1 || l.GridWidth != Levels[0].GridWidth) || SegmentLength < 1 || SegmentLength > Levels[0].GridWidth)
                {
                    return "speech token grids must be 1xframes, equal across levels, with 1 <= segment length <= frames";
                }

                if (SegmentCount > VqcLimits.MaxSegments)
                {
                    return $"more than {VqcLimits.MaxSegments} segments";
                }

                if (SegmentLength > VqcLimits.MaxSegmentLength || (long)SegmentLength * Levels.Length > VqcLimits.MaxTokensPerChunk)
                {
                    return $"a segment holds at most {VqcLimits.MaxSegmentLength} frames and {VqcLimits.MaxTokensPerChunk} tokens over all levels";
                }

                break;
            default:
                return $"unknown media kind {(int)Kind}";
        }

        return null;
    }

    internal byte[] Serialize()
    {
        Validate();
        byte[] id = Encoding.UTF8.GetBytes(ModelId);
        var buffer = new byte[4 + 4 + 4 + 8 + 1 + id.Length + 32 + 32 + 4 + (12 * Levels.Length)];
        Span<byte> s = buffer;
        s[0] = (byte)Kind;
        s[1] = (byte)Channels;
        s[2] = (byte)BitsPerSample;
        s[3] = (byte)Levels.Length;
        BinaryPrimitives.WriteInt32LittleEndian(s[4..], Kind == MediaKind.Image ? Width : SampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(s[8..], Kind == MediaKind.Image ? Height : 0);
        BinaryPrimitives.WriteInt64LittleEndian(s[12..], SampleCount);
        int p = 20;
        s[p++] = (byte)id.Length;
        id.CopyTo(s[p..]);
        p += id.Length;
        ModelHash.CopyTo(s[p..]);
        p += 32;
        PriorsHash.CopyTo(s[p..]);
        p += 32;
        BinaryPrimitives.WriteInt32LittleEndian(s[p..], SegmentLength);
        p += 4;
        foreach (TokenLevelLayout l in Levels)
        {
            BinaryPrimitives.WriteInt32LittleEndian(s[p..], l.CodebookSize);
            BinaryPrimitives.WriteInt32LittleEndian(s[(p + 4)..], l.GridHeight);
            BinaryPrimitives.WriteInt32LittleEndian(s[(p + 8)..], l.GridWidth);
            p += 12;
        }

        return buffer;
    }

    /// <summary>Parses a VQHD payload; <paramref name="offset"/> is its position in the file, for messages.</summary>
    internal static VqcHeader Parse(ReadOnlySpan<byte> s, long offset)
    {
        if (s.Length < 21)
        {
            throw new VqcFormatException("header payload too short", offset);
        }

        var kind = (MediaKind)s[0];
        int channels = s[1], bits = s[2], levels = s[3];
        int a = BinaryPrimitives.ReadInt32LittleEndian(s[4..]);
        int b = BinaryPrimitives.ReadInt32LittleEndian(s[8..]);
        long samples = BinaryPrimitives.ReadInt64LittleEndian(s[12..]);
        int idLength = s[20];
        if (idLength is 0 or > VqcLimits.MaxModelIdBytes || levels is 0 or > VqcLimits.MaxLevels)
        {
            throw new VqcFormatException("header has an invalid model id length or level count", offset);
        }

        int need = 21 + idLength + 64 + 4 + (12 * levels);
        if (s.Length != need)
        {
            throw new VqcFormatException($"header payload is {s.Length} bytes; its fields need {need}", offset);
        }

        int p = 21;
        string id;
        try
        {
            id = new UTF8Encoding(false, true).GetString(s.Slice(p, idLength));
        }
        catch (DecoderFallbackException)
        {
            throw new VqcFormatException("model id is not valid UTF-8", offset + p);
        }

        p += idLength;
        byte[] modelHash = s.Slice(p, 32).ToArray();
        p += 32;
        byte[] priorsHash = s.Slice(p, 32).ToArray();
        p += 32;
        int segment = BinaryPrimitives.ReadInt32LittleEndian(s[p..]);
        p += 4;
        var layout = new TokenLevelLayout[levels];
        for (int i = 0; i < levels; i++)
        {
            layout[i] = new TokenLevelLayout(
                BinaryPrimitives.ReadInt32LittleEndian(s[p..]),
                BinaryPrimitives.ReadInt32LittleEndian(s[(p + 4)..]),
                BinaryPrimitives.ReadInt32LittleEndian(s[(p + 8)..]));
            p += 12;
        }

        var header = new VqcHeader
        {
            Kind = kind,
            Channels = channels,
            BitsPerSample = bits,
            Width = kind == MediaKind.Image ? a : 0,
            Height = kind == MediaKind.Image ? b : 0,
            SampleRate = kind == MediaKind.Image ? 0 : a,
            SampleCount = samples,
            ModelId = id,
            ModelHash = modelHash,
            PriorsHash = priorsHash,
            SegmentLength = segment,
            Levels = layout,
        };
        if (kind != MediaKind.Image && b != 0)
        {
            throw new VqcFormatException("reserved header field is not zero", offset + 8);
        }

        string? problem = header.Problem();
        if (problem is not null)
        {
            throw new VqcFormatException($"invalid header: {problem}", offset);
        }

        return header;
    }

    /// <summary>Equality by value, including the hash bytes and level layout.</summary>
    public bool Equals(VqcHeader? other) =>
        other is not null && Kind == other.Kind && Width == other.Width && Height == other.Height && Channels == other.Channels
        && BitsPerSample == other.BitsPerSample && SampleRate == other.SampleRate && SampleCount == other.SampleCount
        && ModelId == other.ModelId && ModelHash.AsSpan().SequenceEqual(other.ModelHash) && PriorsHash.AsSpan().SequenceEqual(other.PriorsHash)
        && SegmentLength == other.SegmentLength && Levels.AsSpan().SequenceEqual(other.Levels);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Width, Height, SampleCount, ModelId, Levels.Length);
}
