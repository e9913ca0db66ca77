namespace VqCodec.Container;

/// <summary>A whole .vqc file in memory: header, metadata and every level's full token grid.</summary>
public sealed class VqcDocument
{
    /// <summary>
    /// Creates a document; <paramref name="tokens"/>[level] holds that level's grid, row-major;
    /// <paramref name="detail"/> is the payload of an image's detail layer (null: none).
    /// </summary>
    public VqcDocument(VqcHeader header, int[][] tokens, IReadOnlyDictionary<string, string>? metadata = null, byte[]? detail = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(tokens);
        header.Validate();
        if (tokens.Length != header.Levels.Length)
        {
            throw new ArgumentException($"{tokens.Length} token grids for {header.Levels.Length} levels", nameof(tokens));
        }

        for (int l = 0; l < tokens.Length; l++)
        {
            if (tokens[l].LongLength != header.Levels[l].Cells)
            {
                throw new ArgumentException($"level {l} holds {tokens[l].Length} tokens; its grid has {header.Levels[l].Cells}", nameof(tokens));
            }
        }

        if (detail is not null && (header.SegmentLength > 0 || detail.Length == 0 || detail.Length > VqcLimits.MaxChunkPayload))
        {
            throw new ArgumentException("a detail layer needs unsegmented media and 1..64 MiB of payload", nameof(detail));
        }

        Header = header;
        Tokens = tokens;
        Detail = detail;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

    /// <summary>The header.</summary>
    public VqcHeader Header { get; }

    /// <summary>Token grid per level, row-major (for speech: frames in order).</summary>
    public int[][] Tokens { get; }

    /// <summary>Payload of the detail layer (images only; null when there is none).</summary>
    public byte[]? Detail { get; }

    /// <summary>String metadata.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads a whole file.</summary>
    /// <exception cref="VqcFormatException">Bad bytes.</exception>
    public static VqcDocument Read(Stream stream, Func<VqcHeader, TokenPriors?>? priors = null, bool leaveOpen = false)
    {
        using var reader = new VqcReader(stream, priors, leaveOpen);
        VqcHeader header = reader.ReadHeader();
        int[][] tokens = header.Levels.Select(l => new int[l.Cells]).ToArray();
        while (reader.GetNextPlane() is { } plane)
        {
            int start = header.SegmentLength == 0 ? 0 : plane.Segment * header.SegmentLength;
            plane.Tokens.CopyTo(tokens[plane.Level], start);
        }

        return new VqcDocument(header, tokens, reader.Metadata, reader.Detail);
    }

    /// <summary>Writes the document; returns the number of bytes written.</summary>
    public long Write(Stream stream, VqcWriterOptions? options = null, bool leaveOpen = false)
    {
        var writer = new VqcWriter(stream, Header, options, leaveOpen: true);
        try
        {
            if (Metadata.Count > 0)
            {
                writer.WriteMetadata(Metadata);
            }

            for (int s = 0; s < Header.SegmentCount; s++)
            {
                for (int l = 0; l < Header.Levels.Length; l++)
                {
                    int start = Header.SegmentLength == 0 ? 0 : s * Header.SegmentLength;
                    writer.WritePlane(s, l, Tokens[l].AsSpan(start, Header.TokensInSegment(l, s)));
                }
            }

            if (Detail is not null)
            {
                writer.WriteDetail(Detail);
            }
        }
        finally
        {
            writer.Dispose();
            if (!leaveOpen)
            {
                stream.Dispose();
            }
        }

        return writer.BytesWritten;
    }

    /// <summary>
    /// The same media with only the first <paramref name="levels"/> levels (a lower-rate file). The detail layer
    /// is kept only when every level is kept: it refines the image decoded from all of them.
    /// </summary>
    public VqcDocument Truncate(int levels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(levels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(levels, Header.Levels.Length);
        return new VqcDocument(Header with { Levels = Header.Levels[..levels] }, Tokens[..levels], Metadata, levels == Header.Levels.Length ? Detail : null);
    }

    /// <summary>The same document without its detail layer.</summary>
    public VqcDocument WithoutDetail() => new(Header, Tokens, Metadata);
}
