using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using K4os.Compression.LZ4;
using VqCodec.Container.Coding;

namespace VqCodec.Container;

/// <summary>
/// Reads a .vqc stream chunk by chunk. The constructor does no I/O; <see cref="ReadHeader"/> reads the
/// preamble and header; <see cref="GetNextPlane"/> returns token planes in file order and null after a
/// valid end chunk. Every size is checked against the caps before allocation, every chunk CRC is
/// verified, and any problem throws <see cref="VqcFormatException"/> with the byte offset.
/// </summary>
public sealed class VqcReader : IDisposable, IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly PrefetchStream _prefetch;
    private readonly bool _leaveOpen;
    private readonly Func<VqcHeader, TokenPriors?>? _priorsResolver;
    private readonly bool _structureOnly;
    private ChunkStreamReader? _reader;
    private VqcHeader? _header;
    private TokenPriors? _priors;
    private bool _priorsResolved;
    private bool _ended;
    private bool _disposed;
    private int _nextSegment;
    private int _nextLevel;
    private int _tokenChunks;
    private bool _imageJoint;   // an image whose planes came in one context-coded TSEG chunk (format 1.3)
    private long _sidxOffset;
    private Dictionary<string, string>? _metadata;
    private readonly Queue<VqcTokenPlane> _queued = new();
    private readonly List<long> _segmentOffsets = [];
    private bool _sequential = true;
    private bool _metadataRead;
    private readonly VqcReaderOptions _options;

    /// <summary>Creates a reader.</summary>
    /// <param name="stream">A readable stream positioned at the start of the .vqc data.</param>
    /// <param name="priorsResolver">Supplies the token priors a header names (needed only for rANS-coded planes).</param>
    /// <param name="leaveOpen">Leave the stream open on dispose.</param>
    public VqcReader(Stream stream, Func<VqcHeader, TokenPriors?>? priorsResolver = null, bool leaveOpen = false)
        : this(stream, priorsResolver, leaveOpen, structureOnlyWithoutPriors: false)
    {
    }

    /// <summary>Creates a reader that can walk files whose token priors are unavailable.</summary>
    /// <param name="stream">A readable stream positioned at the start of the .vqc data.</param>
    /// <param name="priorsResolver">Supplies the token priors a header names.</param>
    /// <param name="leaveOpen">Leave the stream open on dispose.</param>
    /// <param name="structureOnlyWithoutPriors">
    /// When the priors a rANS plane needs are not available, check the chunk's framing and checksum and
    /// return the plane with an empty token array instead of throwing.
    /// </param>
    public VqcReader(Stream stream, Func<VqcHeader, TokenPriors?>? priorsResolver, bool leaveOpen, bool structureOnlyWithoutPriors)
        : this(stream, priorsResolver, leaveOpen, structureOnlyWithoutPriors, null)
    {
    }

    /// <summary>Creates a reader with limits of its own (<paramref name="options"/>) on top of the format's caps.</summary>
    /// <param name="stream">A readable stream positioned at the start of the .vqc data.</param>
    /// <param name="priorsResolver">Supplies the token priors a header names.</param>
    /// <param name="leaveOpen">Leave the stream open on dispose.</param>
    /// <param name="structureOnlyWithoutPriors">Walk rANS planes whose priors are unavailable by checksum only.</param>
    /// <param name="options">Limits; null means the format's caps.</param>
    public VqcReader(Stream stream, Func<VqcHeader, TokenPriors?>? priorsResolver, bool leaveOpen, bool structureOnlyWithoutPriors, VqcReaderOptions? options)
    {
        _options = options ?? new VqcReaderOptions();
        _structureOnly = structureOnlyWithoutPriors;
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("stream is not readable", nameof(stream));
        }

        _stream = stream;
        _prefetch = new PrefetchStream(stream);
        _priorsResolver = priorsResolver;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Payload of the image's detail-layer chunk (<c>DETL</c>), once it has been read; null when the file has none.</summary>
    public byte[]? Detail { get; private set; }

    /// <summary>
    /// The restoration network named by the image's <c>rstr</c> chunk, once it has been read (it precedes the
    /// token chunks); null when the file has none. It applies only to a file with a detail layer.
    /// </summary>
    public RestorationId? Restoration { get; private set; }

    /// <summary>Metadata from the ancillary meta chunk, once it has been read (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _metadata ?? new Dictionary<string, string>();

    /// <summary>True when the last chunk read holds planes not yet returned (a segment's further levels).</summary>
    internal bool HasQueuedPlanes => _queued.Count > 0;

    /// <summary>Token chunks read so far.</summary>
    public int TokenChunksRead => _tokenChunks;

    /// <summary>Reads (once) and returns the header.</summary>
    /// <exception cref="VqcFormatException">The preamble or header is invalid.</exception>
    public VqcHeader ReadHeader()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_header is not null)
        {
            return _header;
        }

        _reader = new ChunkStreamReader(_prefetch, 0, _stream.CanSeek ? _stream.Position : 0);
        Span<byte> pre = stackalloc byte[ChunkIO.PreambleSize];
        try
        {
            _reader.ReadExactly(pre);
        }
        catch (VqcFormatException)
        {
            throw new VqcFormatException("file too short for a .vqc preamble", 0);
        }

        ChunkIO.CheckPreamble(pre);
        (uint type, int length, long offset) = _reader.ReadChunkHeader(out var crc);
        if (type != ChunkTypes.Header)
        {
            throw new VqcFormatException($"first chunk is '{ChunkTypes.Name(type)}', expected 'VQHD'", offset);
        }

        byte[] payload = _reader.ReadPayload(type, length, offset, VqcLimits.MaxHeaderPayload, crc);
        VqcHeader parsed = VqcHeader.Parse(payload, offset + 8);
        if (parsed.Levels.Any(l => l.Cells > _options.MaxTokensPerLevel))
        {
            throw new VqcFormatException($"the header declares {parsed.Levels.Max(l => l.Cells)} tokens per level, above this reader's limit of {_options.MaxTokensPerLevel}", offset + 8);
        }

        _header = parsed;
        return _header;
    }

    /// <summary>Reads (once) and returns the header without blocking on the stream.</summary>
    /// <exception cref="VqcFormatException">The preamble or header is invalid.</exception>
    public async ValueTask<VqcHeader> ReadHeaderAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_header is null && await _prefetch.FillAsync(ChunkIO.PreambleSize + ChunkHeader.Size, cancellationToken).ConfigureAwait(false))
        {
            ChunkHeader chunk = _prefetch.PeekChunkHeader(ChunkIO.PreambleSize);
            if (chunk.LengthWithin(VqcLimits.MaxHeaderPayload))
            {
                await _prefetch.FillAsync(ChunkIO.PreambleSize + chunk.Total, cancellationToken).ConfigureAwait(false);
            }
        }

        // Whatever is missing makes the synchronous parser report the problem; it never blocks here.
        return ReadHeader();
    }

    /// <summary>
    /// Returns the next token plane, or null after the end chunk, reading the stream asynchronously.
    /// The chunks up to the next token chunk are buffered first and then parsed by the same code as
    /// <see cref="GetNextPlane"/>.
    /// </summary>
    /// <exception cref="VqcFormatException">Bad bytes anywhere up to and including the end chunk.</exception>
    public async ValueTask<VqcTokenPlane?> GetNextPlaneAsync(CancellationToken cancellationToken = default)
    {
        await ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
        if (_queued.Count > 0 || _ended)
        {
            return GetNextPlane();
        }

        long ahead = 0;
        while (await _prefetch.FillAsync(ahead + ChunkHeader.Size, cancellationToken).ConfigureAwait(false))
        {
            ChunkHeader chunk = _prefetch.PeekChunkHeader(ahead);
            uint type = chunk.Type;
            if (!chunk.LengthWithin() || !await _prefetch.FillAsync(ahead + chunk.Total, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            ahead += chunk.Total;
            if (type == ChunkTypes.End)
            {
                // The parser checks that nothing follows the end chunk.
                await _prefetch.FillAsync(ahead + 1, cancellationToken).ConfigureAwait(false);
                break;
            }

            if (type == ChunkTypes.Tokens || type == ChunkTypes.Segment)
            {
                break;
            }
        }

        return GetNextPlane();
    }

    /// <summary>Returns the next token plane, or null after the end chunk.</summary>
    /// <exception cref="VqcFormatException">Bad bytes anywhere up to and including the end chunk.</exception>
    /// <exception cref="ModelMismatchException">A rANS plane needs token priors that were not supplied, or the supplied ones do not match the file.</exception>
    public VqcTokenPlane? GetNextPlane()
    {
        VqcHeader header = ReadHeader();
        ChunkStreamReader r = _reader!;
        if (_queued.Count > 0)
        {
            return _queued.Dequeue();
        }

        bool segmented = header.SegmentLength > 0;
        while (!_ended)
        {
            (uint type, int length, long offset) = r.ReadChunkHeader(out var crc);
            if (type == ChunkTypes.Tokens && !segmented)
            {
                return ReadPlane(header, r, length, offset, crc);
            }

            if (type == ChunkTypes.Segment && segmented)
            {
                ReadSegment(header, r, length, offset, crc);
                return _queued.Dequeue();
            }

            if (type == ChunkTypes.Segment && _tokenChunks == 0 && _nextSegment == 0)
            {
                ReadImageSegment(header, r, length, offset, crc);
                return _queued.Dequeue();
            }

            if (type == ChunkTypes.Tokens || type == ChunkTypes.Segment)
            {
                throw new VqcFormatException($"'{ChunkTypes.Name(type)}' chunk in {(segmented ? "segmented" : "unsegmented")} media", offset);
            }

            if (type == ChunkTypes.End)
            {
                ReadEnd(header, r, length, offset, crc);
                return null;
            }

            if (type == ChunkTypes.Detail)
            {
                if (segmented || Detail is not null || _nextSegment != header.SegmentCount)
                {
                    throw new VqcFormatException(segmented ? "detail chunk in segmented media" : Detail is not null ? "second detail chunk" : "detail chunk before the last token plane", offset);
                }

                byte[] detail = r.ReadPayload(type, length, offset, VqcLimits.MaxChunkPayload, crc);
                if (detail.Length == 0)
                {
                    throw new VqcFormatException("empty detail chunk", offset);
                }

                Detail = detail;
            }
            else if (type == ChunkTypes.Restoration)
            {
                if (segmented || Restoration is not null || _tokenChunks > 0)
                {
                    throw new VqcFormatException(segmented ? "restoration chunk in segmented media" : Restoration is not null ? "second restoration chunk" : "restoration chunk after a token chunk", offset);
                }

                Restoration = RestorationId.Read(r.ReadPayload(type, length, offset, 2 + VqcLimits.MaxModelIdBytes + 32, crc), offset + 8);
            }
            else if (type == ChunkTypes.Metadata)
            {
                ReadMetadata(r.ReadPayload(type, length, offset, 4 + LZ4Codec.MaximumOutputSize(VqcLimits.MaxMetadataBytes), crc), offset);
            }
            else if (type == ChunkTypes.SeekIndex)
            {
                long[] table = ReadSeekIndex(header, r.ReadPayload(type, length, offset, 4 + (12 * header.SegmentCount), crc), offset);
                if (_sequential)
                {
                    // Read from the start, the reader knows where every segment really is: the table must say so.
                    for (int s = 0; s < table.Length; s++)
                    {
                        if (s >= _segmentOffsets.Count || table[s] != _segmentOffsets[s])
                        {
                            throw new VqcFormatException($"seek table entry {s} does not point at segment {s}", offset + 8 + (12 * s));
                        }
                    }
                }
            }
            else if (ChunkTypes.IsAncillary(type))
            {
                r.SkipPayload(type, length, offset, crc);
            }
            else
            {
                throw new VqcFormatException($"unknown critical chunk '{ChunkTypes.Name(type)}'", offset);
            }
        }

        return null;
    }

    /// <summary>
    /// Positions the reader at the first plane of <paramref name="segment"/> using the seek table found
    /// through the end chunk. Needs a seekable stream that starts at offset 0 of the file.
    /// </summary>
    /// <exception cref="NotSupportedException">The stream cannot seek.</exception>
    public void SeekToSegment(int segment)
    {
        VqcHeader header = ReadHeader();
        if (!_stream.CanSeek)
        {
            throw new NotSupportedException("seeking needs a seekable stream");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(segment);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(segment, header.SegmentCount);
        var r = _reader!;
        long length = _stream.Length - r.Base;
        const int endChunk = EndChunk.Size + ChunkHeader.Overhead;
        if (length < ChunkIO.PreambleSize + endChunk)
        {
            throw new VqcFormatException("file too short to hold an end chunk", length);
        }

        r.Reposition(length - endChunk);
        (uint type, int len, long off) = r.ReadChunkHeader(out var crc);
        if (type != ChunkTypes.End || len != EndChunk.Size)
        {
            throw new VqcFormatException("no end chunk at the end of the file", off);
        }

        long sidx = EndChunk.Read(r.ReadPayload(type, len, off, EndChunk.Size, crc)).SeekIndexOffset;
        if (sidx < ChunkIO.PreambleSize || sidx >= off)
        {
            throw new VqcFormatException("file has no valid seek table", off);
        }

        r.Reposition(sidx);
        (type, len, off) = r.ReadChunkHeader(out crc);
        if (type != ChunkTypes.SeekIndex)
        {
            throw new VqcFormatException("seek table offset does not point at a seek table", off);
        }

        long[] offsets = ReadSeekIndex(header, r.ReadPayload(type, len, off, 4 + (12 * header.SegmentCount), crc), off);
        r.Reposition(offsets[segment]);
        _nextSegment = segment;
        _nextLevel = 0;
        _tokenChunks = segment;
        _sequential = false;
        _queued.Clear();
        _ended = false;
    }

    private VqcTokenPlane ReadPlane(VqcHeader header, ChunkStreamReader r, int length, long offset, System.IO.Hashing.Crc32 crc)
    {
        if (_nextSegment >= header.SegmentCount)
        {
            throw new VqcFormatException("more token chunks than the header declares", offset);
        }

        int count = header.TokensInSegment(_nextLevel, _nextSegment);
        int cap = TokenChunkPrefix.Size + Math.Max(LZ4Codec.MaximumOutputSize(2 * count), (2 * count) + 8);
        byte[] p = r.ReadPayload(ChunkTypes.Tokens, length, offset, cap, crc);
        long at = offset + ChunkHeader.Size;
        if (p.Length < TokenChunkPrefix.Size)
        {
            throw new VqcFormatException("token chunk too short", at);
        }

        TokenChunkPrefix prefix = TokenChunkPrefix.Read(p, out bool reservedZero);
        if (prefix.Level != _nextLevel || prefix.Segment != _nextSegment)
        {
            throw new VqcFormatException($"token chunk for segment {prefix.Segment} level {prefix.Level} where segment {_nextSegment} level {_nextLevel} was expected", at);
        }

        if (!reservedZero)
        {
            throw new VqcFormatException("reserved token chunk bytes are not zero", at + 2);
        }

        if (prefix.Count != count)
        {
            throw new VqcFormatException($"token chunk holds {prefix.Count} tokens; the header implies {count}", at + TokenChunkPrefix.CountOffset);
        }

        VqcTokenPlane plane = DecodePlane(header, prefix.Level, prefix.Segment, prefix.Mode, p.AsSpan(TokenChunkPrefix.Size), at + 1, at + TokenChunkPrefix.Size, length + ChunkHeader.Overhead);
        _tokenChunks++;
        Advance(header);
        return plane;
    }

    private void ReadSegment(VqcHeader header, ChunkStreamReader r, int length, long offset, System.IO.Hashing.Crc32 crc)
    {
        if (_nextSegment >= header.SegmentCount)
        {
            throw new VqcFormatException("more token segments than the header declares", offset);
        }

        if (_sequential && _nextSegment == _segmentOffsets.Count)
        {
            _segmentOffsets.Add(offset);
        }

        int levels = header.Levels.Length;
        long cap = 4;
        for (int l = 0; l < levels; l++)
        {
            int count = header.TokensInSegment(l, _nextSegment);
            cap += 1 + 4 + Math.Max(LZ4Codec.MaximumOutputSize(2 * count), (2 * count) + 8);
        }

        // A voice block and an envelope block, each with its length (formats 1.4 and 1.5, §4c and §4d).
        int frames = header.TokensInSegment(0, _nextSegment);
        cap += 4 + SegmentVoice.MaxBlockBytes(frames) + 4 + SegmentEnvelope.MaxBlockBytes(frames * SegmentEnvelope.MaxSubFrames);

        byte[] p = r.ReadPayload(ChunkTypes.Segment, length, offset, (int)Math.Min(cap, VqcLimits.MaxChunkPayload), crc);
        long at = offset + ChunkHeader.Size;
        if (p.Length < SegmentChunkPrefix.Size)
        {
            throw new VqcFormatException("token segment chunk too short", at);
        }

        SegmentChunkPrefix prefix = SegmentChunkPrefix.Read(p);
        int segment = prefix.Segment;
        if (segment != _nextSegment)
        {
            throw new VqcFormatException($"token segment {segment} where segment {_nextSegment} was expected", at);
        }

        if (prefix.HasEnvelope && !prefix.HasVoice)
        {
            throw new VqcFormatException($"token segment {segment}: an envelope block without a voice block", at + SegmentChunkPrefix.ModeOffset);
        }

        if (prefix.HasVoice)
        {
            // Format 1.4 (§4c): a voice block between the first mode byte and the planes, and (1.5, §4d) an envelope
            // block after it; the rest is read as before.
            const int body = SegmentChunkPrefix.Size;
            if (!VarInt.TryRead(p.AsSpan(body), out int voiceLength, out int voiceLengthBytes) || voiceLength > p.Length - body - voiceLengthBytes)
            {
                throw new VqcFormatException($"token segment {segment}: bad or truncated voice block length", at + body);
            }

            SegmentVoice voice = SegmentVoice.Parse(p.AsSpan(body + voiceLengthBytes, voiceLength), frames, at + body + voiceLengthBytes);
            int nBytes = voiceLengthBytes, n = voiceLength;
            if (prefix.HasEnvelope)
            {
                int e = body + voiceLengthBytes + voiceLength;
                if (!VarInt.TryRead(p.AsSpan(e), out int envelopeLength, out int envelopeLengthBytes) || envelopeLength > p.Length - e - envelopeLengthBytes)
                {
                    throw new VqcFormatException($"token segment {segment}: bad or truncated envelope block length", at + e);
                }

                SegmentEnvelope envelope = SegmentEnvelope.Parse(p.AsSpan(e + envelopeLengthBytes, envelopeLength), frames, at + e + envelopeLengthBytes);
                voice = new SegmentVoice(voice.Pitch, voice.GainQuarterDb) { Envelope = envelope };
                n += envelopeLengthBytes + envelopeLength;
            }

            byte[] rest = new byte[p.Length - nBytes - n];
            new SegmentChunkPrefix(segment, (byte)prefix.Mode).Write(rest);
            p.AsSpan(body + nBytes + n).CopyTo(rest.AsSpan(body));
            bool joint = ReadSegmentBody(header, rest, segment, at + nBytes + n, length);

            // The segment's planes are all that is queued (the queue was empty): level 0 carries the voice. A joint
            // segment's last plane already counts the whole chunk; per-plane, the first plane counts the block.
            VqcTokenPlane[] planes = [.. _queued];
            _queued.Clear();
            planes[0] = planes[0] with { Voice = voice, StoredBytes = planes[0].StoredBytes + (joint ? 0 : nBytes + n) };
            foreach (VqcTokenPlane plane in planes)
            {
                _queued.Enqueue(plane);
            }

            return;
        }

        _ = ReadSegmentBody(header, p, segment, at, length);
    }

    /// <summary>A TSEG payload from the first mode byte on (the voice block, if any, removed); true for the joint layout.</summary>
    private bool ReadSegmentBody(VqcHeader header, byte[] p, int segment, long at, int length)
    {
        int levels = header.Levels.Length;
        bool joint = p[SegmentChunkPrefix.ModeOffset] is (byte)TokenCodingMode.RansStaticJoint or (byte)TokenCodingMode.RansContext;
        if (!joint && p.Length < SegmentChunkPrefix.ModeOffset + (2 * levels))
        {
            throw new VqcFormatException("token segment chunk too short for its planes", at);
        }

        if (joint)
        {
            ReadJointSegment(header, p, segment, at, length);
            return true;
        }

        int pos = SegmentChunkPrefix.ModeOffset;
        for (int level = 0; level < levels; level++)
        {
            if (pos >= p.Length || !VarInt.TryRead(p.AsSpan(pos + 1), out int n, out int nBytes) || n > p.Length - pos - 1 - nBytes)
            {
                throw new VqcFormatException($"token segment {segment} level {level}: bad or truncated plane length", at + pos);
            }

            var mode = (TokenCodingMode)p[pos];
            int start = pos + 1 + nBytes;
            long stored = 1 + nBytes + n + (level == levels - 1 ? SegmentChunkPrefix.ModeOffset + ChunkHeader.Overhead : 0);
            _queued.Enqueue(DecodePlane(header, level, segment, mode, p.AsSpan(start, n), at + pos, at + start, stored));
            Advance(header);
            pos = start + n;
        }

        if (pos != p.Length)
        {
            throw new VqcFormatException($"token segment {segment} has {p.Length - pos} bytes after its last plane", at + pos);
        }

        _tokenChunks++;
        return false;
    }

    /// <summary>An image's token levels in one TSEG chunk: segment 0, mode 5, the grid context stream (spec §4, format 1.3).</summary>
    private void ReadImageSegment(VqcHeader header, ChunkStreamReader r, int length, long offset, System.IO.Hashing.Crc32 crc)
    {
        long cap = SegmentChunkPrefix.Size;
        for (int l = 0; l < header.Levels.Length; l++)
        {
            cap += (2 * header.TokensInSegment(l, 0)) + 8;
        }

        byte[] p = r.ReadPayload(ChunkTypes.Segment, length, offset, (int)Math.Min(cap, VqcLimits.MaxChunkPayload), crc);
        long at = offset + ChunkHeader.Size;
        SegmentChunkPrefix prefix = p.Length < SegmentChunkPrefix.Size ? default : SegmentChunkPrefix.Read(p);
        if (p.Length < SegmentChunkPrefix.Size || prefix.Segment != 0)
        {
            throw new VqcFormatException("an image's token segment chunk must hold segment 0", at);
        }

        if (prefix.ModeByte != (byte)TokenCodingMode.RansContext)
        {
            throw new VqcFormatException($"an image's token segment chunk must be context-coded (mode 5), not mode {prefix.ModeByte}", at + SegmentChunkPrefix.ModeOffset);
        }

        _imageJoint = true;
        ReadJointSegment(header, p, 0, at, length);
    }

    private void ReadJointSegment(VqcHeader header, byte[] p, int segment, long at, int length)
    {
        int levels = header.Levels.Length;
        var mode = (TokenCodingMode)p[SegmentChunkPrefix.ModeOffset];
        string name = mode == TokenCodingMode.RansContext ? "context rANS" : "joint static rANS";
        if (!header.HasPriors)
        {
            throw new VqcFormatException($"{name} segment in a file that names no token priors", at + SegmentChunkPrefix.ModeOffset);
        }

        if (header.Levels.Any(l => l.CodebookSize > VqcLimits.MaxEntropyCodedCodebook))
        {
            throw new VqcFormatException($"{name} segment with a codebook above 4096", at + SegmentChunkPrefix.ModeOffset);
        }

        long chunkBytes = length + ChunkHeader.Overhead;
        if (_structureOnly && !PriorsAvailable(header))
        {
            for (int l = 0; l < levels; l++)
            {
                _queued.Enqueue(new VqcTokenPlane(l, segment, mode, [], l == levels - 1 ? chunkBytes : 0));
                Advance(header);
            }

            _tokenChunks++;
            return;
        }

        TokenPriors priors = ResolvePriors(header)!;
        long count = Enumerable.Range(0, levels).Sum(l => (long)header.TokensInSegment(l, segment));
        if (mode == TokenCodingMode.RansContext && priors.Context is { } bound && p.Length - SegmentChunkPrefix.Size < bound.MinimumStreamBytes(count))
        {
            throw new VqcFormatException($"context rANS stream of {p.Length - SegmentChunkPrefix.Size} bytes is too short for {count} tokens", at + SegmentChunkPrefix.Size);
        }

        int[][] tokens = Enumerable.Range(0, levels).Select(l => new int[header.TokensInSegment(l, segment)]).ToArray();
        double[] bits = new double[levels];
        if (mode == TokenCodingMode.RansContext)
        {
            if (priors.Context is not { } context || !context.Fits(header))
            {
                throw new VqcFormatException($"context rANS segment, but the token priors the file names have no {(header.SegmentLength > 0 ? "sequence" : "grid")} context prior for its levels", at + SegmentChunkPrefix.ModeOffset);
            }

            if (tokens.Any(t => t.Length != tokens[0].Length) || !context.Decode(p.AsMemory(SegmentChunkPrefix.Size), tokens, bits, header.Levels[0].GridWidth))
            {
                throw new VqcFormatException($"token data of segment {segment} is corrupt", at + SegmentChunkPrefix.Size);
            }
        }
        else
        {
            if (Enumerable.Range(0, levels).Any(l => !TokenPlaneCodec.Applicable(TokenCodingMode.RansStatic, header.Levels[l].CodebookSize, priors, l)))
            {
                throw new VqcFormatException("the token priors do not cover every level of this file", at + SegmentChunkPrefix.ModeOffset);
            }

            var tables = Enumerable.Range(0, levels).Select(l => (priors.Table(l), priors.Lookup(l))).ToList();
            if (!Rans.DecodeStaticPlanes(p.AsSpan(SegmentChunkPrefix.Size), tables, tokens))
            {
                throw new VqcFormatException($"token data of segment {segment} is corrupt", at + SegmentChunkPrefix.Size);
            }

            for (int l = 0; l < levels; l++)
            {
                bits[l] = priors.IdealBits(l, tokens[l]);
            }
        }

        // The chunk's bytes are shared among the planes in proportion to their ideal code lengths.
        double totalBits = Math.Max(bits.Sum(), 1e-9);
        long given = 0;
        for (int l = 0; l < levels; l++)
        {
            long share = l == levels - 1 ? chunkBytes - given : (long)Math.Round(chunkBytes * bits[l] / totalBits);
            given += share;
            _queued.Enqueue(new VqcTokenPlane(l, segment, mode, tokens[l], share));
            Advance(header);
        }

        _tokenChunks++;
    }

    private VqcTokenPlane DecodePlane(VqcHeader header, int level, int segment, TokenCodingMode mode, ReadOnlySpan<byte> data, long modeAt, long dataAt, long storedBytes)
    {
        int count = header.TokensInSegment(level, segment);
        int k = header.Levels[level].CodebookSize;
        TokenPriors? priors = null;
        if (mode is TokenCodingMode.RansStatic or TokenCodingMode.RansAdaptive)
        {
            if (k > VqcLimits.MaxEntropyCodedCodebook)
            {
                throw new VqcFormatException($"rANS mode used with a codebook of {k}", modeAt);
            }

            if (mode == TokenCodingMode.RansStatic && !header.HasPriors)
            {
                throw new VqcFormatException("static rANS chunk in a file that names no token priors", modeAt);
            }

            if (_structureOnly && header.HasPriors && !PriorsAvailable(header))
            {
                return new VqcTokenPlane(level, segment, mode, [], storedBytes);
            }

            priors = ResolvePriors(header);
        }
        else if (mode is not (TokenCodingMode.Packed or TokenCodingMode.Lz4))
        {
            throw new VqcFormatException($"unknown token coding mode {(int)mode}", modeAt);
        }

        if (!TokenPlaneCodec.Applicable(mode, k, priors, level))
        {
            throw new VqcFormatException($"token coding mode {mode} does not fit level {level}", modeAt);
        }

        var tokens = new int[count];
        if (!TokenPlaneCodec.Decode(mode, data, k, priors, level, tokens))
        {
            throw new VqcFormatException($"token data of segment {segment} level {level} is corrupt", dataAt);
        }

        return new VqcTokenPlane(level, segment, mode, tokens, storedBytes);
    }

    private void Advance(VqcHeader header)
    {
        if (++_nextLevel == header.Levels.Length)
        {
            _nextLevel = 0;
            _nextSegment++;
        }
    }

    private bool PriorsAvailable(VqcHeader header)
    {
        try
        {
            return ResolvePriors(header) is not null;
        }
        catch (ModelMismatchException)
        {
            return false;
        }
    }

    private TokenPriors? ResolvePriors(VqcHeader header)
    {
        if (!header.HasPriors)
        {
            return null;
        }

        if (!_priorsResolved)
        {
            _priors = _priorsResolver?.Invoke(header);
            _priorsResolved = true;
            if (_priors is not null && !_priors.Hash.AsSpan().SequenceEqual(header.PriorsHash))
            {
                _priors = null;
                throw new ModelMismatchException("the supplied token priors do not match the hash in the file header", header.ModelId, string.Empty);
            }
        }

        return _priors ?? throw new ModelMismatchException($"this file's tokens are coded with the token priors of model '{header.ModelId}', which were not supplied", header.ModelId, string.Empty);
    }

    private void ReadEnd(VqcHeader header, ChunkStreamReader r, int length, long offset, System.IO.Hashing.Crc32 crc)
    {
        byte[] p = r.ReadPayload(ChunkTypes.End, length, offset, EndChunk.Size, crc);
        if (p.Length != EndChunk.Size)
        {
            throw new VqcFormatException($"end chunk must hold {EndChunk.Size} bytes", offset + ChunkHeader.Size);
        }

        (int chunks, long sidx) = EndChunk.Read(p);
        int expected = header.SegmentLength > 0 ? header.SegmentCount : _imageJoint ? 1 : header.Levels.Length;
        if (_nextSegment != header.SegmentCount || chunks != expected || _tokenChunks != expected)
        {
            throw new VqcFormatException($"end chunk reached after {_tokenChunks} of {expected} token chunks", offset);
        }

        // Segmented media must carry a seek table and the end chunk must point at it; unsegmented media has none.
        if (sidx != _sidxOffset || (header.SegmentLength > 0) != (sidx != 0))
        {
            throw new VqcFormatException("end chunk's seek-table offset does not match the file", offset + ChunkHeader.Size + EndChunk.SeekIndexField);
        }

        if (!r.AtEnd())
        {
            throw new VqcFormatException("trailing bytes after the end chunk", r.Position);
        }

        _ended = true;
    }

    private void ReadMetadata(byte[] p, long offset)
    {
        if (_metadataRead)
        {
            throw new VqcFormatException("second metadata chunk", offset);
        }

        _metadataRead = true;
        if (p.Length < 4)
        {
            throw new VqcFormatException("metadata chunk too short", offset + 8);
        }

        int size = BinaryPrimitives.ReadInt32LittleEndian(p);
        if (size < 0 || size > _options.MaxMetadataBytes)
        {
            throw new VqcFormatException($"metadata claims {size} bytes, above the cap", offset + 8);
        }

        var json = new byte[size];
        int n;
        try
        {
            n = LZ4Codec.Decode(p.AsSpan(4), json);
        }
        catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            n = -1;
        }

        if (n != size)
        {
            throw new VqcFormatException("metadata does not decompress", offset + 12);
        }

        Dictionary<string, string>? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<Dictionary<string, string>>(new UTF8Encoding(false, true).GetString(json));
        }
        catch (Exception ex) when (ex is JsonException or DecoderFallbackException)
        {
            throw new VqcFormatException("metadata is not UTF-8 JSON: an object of strings", offset + 12);
        }

        if (parsed is null || parsed.Values.Any(v => v is null) || parsed.Keys.Concat(parsed.Values).Any(t => t.Contains('\0')))
        {
            throw new VqcFormatException("metadata holds a null or a NUL character", offset + 12);
        }

        _metadata = parsed;
    }

    private long[] ReadSeekIndex(VqcHeader header, byte[] p, long offset)
    {
        int count = p.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(p) : -1;
        if (count != header.SegmentCount || p.Length != 4 + (12 * count))
        {
            throw new VqcFormatException("seek table does not match the header's segment count", offset + 8);
        }

        var offsets = new long[count];
        for (int s = 0; s < count; s++)
        {
            int first = BinaryPrimitives.ReadInt32LittleEndian(p.AsSpan(4 + (12 * s)));
            offsets[s] = BinaryPrimitives.ReadInt64LittleEndian(p.AsSpan(8 + (12 * s)));
            if (first != s * header.SegmentLength || offsets[s] < ChunkIO.PreambleSize || offsets[s] >= offset || (s > 0 && offsets[s] <= offsets[s - 1]))
            {
                throw new VqcFormatException($"seek table entry {s} is inconsistent", offset + 4 + (12 * s));
            }
        }

        _sidxOffset = offset;
        return offsets;
    }

    /// <summary>Asynchronous <see cref="Dispose"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (!_leaveOpen)
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Closes the stream unless leaveOpen.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }
}
