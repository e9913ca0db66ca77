namespace VqCodec.Container;

/// <summary>A whole .vqc file in memory: header, metadata and every level's full token grid.</summary>
public sealed class VqcDocument
{
    /// <summary>
    /// Creates a document; <paramref name="tokens"/>[level] holds that level's grid, row-major;
    /// <paramref name="detail"/> is the payload of an image's detail layer (null: none).
    /// </summary>
    public VqcDocument(VqcHeader header, int[][] tokens, IReadOnlyDictionary<string, string>? metadata = null, byte[]? detail = null)
        : this(header, tokens, metadata, detail, null)
    {
    }

    /// <summary>
    /// Creates a document whose detail layer is to be followed by the restoration network
    /// <paramref name="restoration"/> (needs a detail layer).
    /// </summary>
    /// <exception cref="ArgumentException">Grids do not fit the header, the detail layer is invalid, or a restoration is given without a detail layer.</exception>
    public VqcDocument(VqcHeader header, int[][] tokens, IReadOnlyDictionary<string, string>? metadata, byte[]? detail, RestorationId? restoration)
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

        if (restoration is not null && detail is null)
        {
            throw new ArgumentException("a restoration network follows a detail layer; the document has none", nameof(restoration));
        }

        Header = header;
        Tokens = tokens;
        Detail = detail;
        Restoration = restoration;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

    /// <summary>The header.</summary>
    public VqcHeader Header { get; }

    /// <summary>Token grid per level, row-major (for speech: frames in order).</summary>
    public int[][] Tokens { get; }

    /// <summary>Payload of the detail layer (images only; null when there is none).</summary>
    public byte[]? Detail { get; }

    /// <summary>The restoration network the decoder applies after the detail layer (null when there is none).</summary>
    public RestorationId? Restoration { get; }

    /// <summary>String metadata.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Speech: the voice parameters per segment (format 1.4; an entry is null for a segment without them), or null when no segment has any.</summary>
    public IReadOnlyList<SegmentVoice?>? Voices { get; private init; }

    /// <summary>The same document with voice parameters per segment (null: none).</summary>
    /// <exception cref="ArgumentException">Not segmented media, or the list does not match the segments and their frames.</exception>
    public VqcDocument WithVoices(IReadOnlyList<SegmentVoice?>? voices)
    {
        if (voices is not null)
        {
            if (Header.SegmentLength == 0 || voices.Count != Header.SegmentCount)
            {
                throw new ArgumentException($"voice parameters need segmented media and one entry per segment ({Header.SegmentCount}); got {voices.Count}", nameof(voices));
            }

            for (int s = 0; s < voices.Count; s++)
            {
                if (voices[s] is { } v && v.Pitch.Length != Header.TokensInSegment(0, s))
                {
                    throw new ArgumentException($"segment {s} has {Header.TokensInSegment(0, s)} frames; its pitch track has {v.Pitch.Length}", nameof(voices));
                }
            }

            if (voices.All(v => v is null))
            {
                voices = null;
            }
        }

        return new VqcDocument(Header, Tokens, Metadata, Detail, Restoration) { Voices = voices };
    }

    /// <summary>Reads a whole file.</summary>
    /// <exception cref="VqcFormatException">Bad bytes.</exception>
    public static VqcDocument Read(Stream stream, Func<VqcHeader, TokenPriors?>? priors = null, bool leaveOpen = false)
    {
        using var reader = new VqcReader(stream, priors, leaveOpen);
        return Read(reader);
    }

    /// <summary>Reads a whole file under the limits of <paramref name="options"/>.</summary>
    /// <exception cref="VqcFormatException">Bad bytes, or a size above a limit.</exception>
    public static VqcDocument Read(Stream stream, Func<VqcHeader, TokenPriors?>? priors, bool leaveOpen, VqcReaderOptions? options)
    {
        using var reader = new VqcReader(stream, priors, leaveOpen, structureOnlyWithoutPriors: false, options);
        return Read(reader);
    }

    /// <summary>Reads the rest of a file from <paramref name="reader"/> (whose header may already have been read).</summary>
    /// <exception cref="VqcFormatException">Bad bytes.</exception>
    public static VqcDocument Read(VqcReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        VqcHeader header = reader.ReadHeader();

        // Grids grow with the planes that actually arrive (segment after segment), never to the size a header
        // merely claims; the reader checks that every plane is there before it reports the end.
        var tokens = header.Levels.Select(_ => new List<int>()).ToArray();
        var voices = new List<SegmentVoice?>();
        while (reader.GetNextPlane() is { } plane)
        {
            tokens[plane.Level].AddRange(plane.Tokens);
            if (plane.Level == 0 && header.SegmentLength > 0)
            {
                voices.Add(plane.Voice);
            }
        }

        var document = new VqcDocument(header, [.. tokens.Select(t => t.ToArray())], reader.Metadata, reader.Detail, reader.Detail is null ? null : reader.Restoration);
        return voices.Any(v => v is not null) ? document.WithVoices(voices) : document;
    }

    /// <summary>Writes the document; returns the number of bytes written.</summary>
    public long Write(Stream stream, VqcWriterOptions? options = null, bool leaveOpen = false)
    {
        options ??= new VqcWriterOptions();
        var writer = new VqcWriter(stream, Header, new VqcWriterOptions { Policy = options.Policy, Priors = options.Priors, Restoration = Restoration, SegmentVoices = Voices is not null, SegmentEnvelopes = Voices?.Any(v => v?.Envelope is not null) == true, EnvelopesAfterSynthesis = Voices?.Any(v => v?.Envelope?.AfterSynthesis == true) == true, EnvelopeHalfFrames = Voices?.Any(v => v?.Envelope?.SubFrames > 1) == true }, leaveOpen: true);
        try
        {
            if (Metadata.Count > 0)
            {
                writer.WriteMetadata(Metadata);
            }

            for (int s = 0; s < Header.SegmentCount; s++)
            {
                if (Voices?[s] is { } voice)
                {
                    writer.WriteSegmentVoice(s, voice);
                }

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
    /// Bytes that the detail layer and its restoration chunk add to the written file (0 without a detail layer);
    /// the chunks before them do not depend on them, so a rate search can price candidate detail layers over one base.
    /// </summary>
    public long DetailBytes => Detail is null ? 0 : Detail.Length + ChunkHeader.Overhead + (Restoration is { } r ? r.ToPayload().Length + ChunkHeader.Overhead : 0);

    /// <summary>
    /// The same media with only the first <paramref name="levels"/> levels (a lower-rate file). The detail layer
    /// is kept only when every level is kept: it refines the image decoded from all of them.
    /// </summary>
    public VqcDocument Truncate(int levels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(levels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(levels, Header.Levels.Length);
        bool all = levels == Header.Levels.Length;
        return new VqcDocument(Header with { Levels = Header.Levels[..levels] }, Tokens[..levels], Metadata, all ? Detail : null, all ? Restoration : null) { Voices = Voices };
    }

    /// <summary>The same document with the restoration network <paramref name="restoration"/> (null: none) after its detail layer.</summary>
    /// <exception cref="ArgumentException">A restoration is given and the document has no detail layer.</exception>
    public VqcDocument WithRestoration(RestorationId? restoration) => new(Header, Tokens, Metadata, Detail, restoration);

    /// <summary>The same document without its detail layer (and so without restoration).</summary>
    public VqcDocument WithoutDetail() => new(Header, Tokens, Metadata);
}
