using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using K4os.Compression.LZ4;
using VqCodec.Container.Coding;

namespace VqCodec.Container;

/// <summary>
/// Writes a .vqc stream: preamble and header on the first write, then token planes in file order
/// (segment by segment, levels 0..L-1 within a segment), then on <see cref="Dispose"/> the seek table
/// (speech) and the end chunk. The constructor validates arguments and does no I/O.
/// </summary>
public sealed class VqcWriter : IDisposable, IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly MemoryStream _pending = new();
    private readonly VqcHeader _header;
    private readonly VqcWriterOptions _options;
    private readonly bool _contextCoding;   // segments (or an image's planes) may use mode 5 (decided once: policy, priors and header allow it)
    private readonly bool _leaveOpen;
    private readonly long[] _segmentOffsets;
    private bool _started;
    private bool _disposed;
    private int _nextSegment;
    private int _nextLevel;
    private int _tokenChunks;
    private bool _detailWritten;
    private long _position;
    private readonly List<(TokenCodingMode Mode, byte[] Data, int[] Tokens)> _pendingSegment = [];
    private byte[]? _pendingVoice;
    private byte[]? _pendingEnvelope;

    /// <summary>Creates a writer.</summary>
    /// <exception cref="ArgumentException">The header is invalid, the stream is not writable, or the options do not fit the header.</exception>
    public VqcWriter(Stream stream, VqcHeader header, VqcWriterOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(header);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("stream is not writable", nameof(stream));
        }

        header.Validate();
        options ??= new VqcWriterOptions();
        if (options.Priors is not null && !options.Priors.Hash.AsSpan().SequenceEqual(header.PriorsHash))
        {
            throw new ArgumentException("the header's priors hash does not match the priors given to the writer", nameof(options));
        }

        if (options.Priors is null && header.HasPriors)
        {
            throw new ArgumentException("the header names token priors but none were given to the writer", nameof(options));
        }

        if (options.Restoration is not null && header.Kind != MediaKind.Image)
        {
            throw new ArgumentException("only images have a restoration network", nameof(options));
        }

        if (options.Policy == TokenCodingPolicy.RansStatic && options.Priors is null)
        {
            throw new ArgumentException("static rANS coding needs token priors", nameof(options));
        }

        bool contextApplies = options.Priors?.Context is { } context && context.Fits(header);
        if (options.Policy == TokenCodingPolicy.RansContext && !contextApplies)
        {
            throw new ArgumentException("context coding needs token priors whose context prior covers every level with the media's layout (sequence for speech, grid for images)", nameof(options));
        }

        _contextCoding = contextApplies && (options.Policy is TokenCodingPolicy.Smallest or TokenCodingPolicy.RansContext);
        _stream = stream;
        _header = header;
        _options = options;
        _leaveOpen = leaveOpen;
        _segmentOffsets = new long[header.SegmentCount];
    }

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten => _position;

    /// <summary>True when every token plane of the header has been written.</summary>
    public bool IsComplete => _nextSegment == _header.SegmentCount;

    /// <summary>Writes string metadata (an ancillary chunk: LZ4-compressed UTF-8 JSON). Only before the first token plane.</summary>
    /// <exception cref="InvalidOperationException">Token planes were already written.</exception>
    public void WriteMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        WriteMetadataCore(metadata);
        Flush();
    }

    /// <summary>Asynchronous <see cref="WriteMetadata"/>.</summary>
    public async ValueTask WriteMetadataAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken = default)
    {
        WriteMetadataCore(metadata);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private void WriteMetadataCore(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_tokenChunks > 0 || _nextLevel > 0 || _nextSegment > 0)
        {
            throw new InvalidOperationException("metadata must be written before the token planes");
        }

        if (metadata.Any(kv => kv.Value is null || kv.Key.Contains('\0') || kv.Value.Contains('\0')))
        {
            throw new ArgumentException("metadata keys and values must be non-null strings without NUL characters (spec §7)", nameof(metadata));
        }

        EnsureStarted();
        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(metadata));
        if (json.Length > VqcLimits.MaxMetadataBytes)
        {
            throw new ArgumentException($"metadata exceeds {VqcLimits.MaxMetadataBytes} bytes", nameof(metadata));
        }

        var payload = new byte[4 + LZ4Codec.MaximumOutputSize(json.Length)];
        BinaryPrimitives.WriteInt32LittleEndian(payload, json.Length);
        int n = LZ4Codec.Encode(json, payload.AsSpan(4), LZ4Level.L09_HC);
        WriteChunk(ChunkTypes.Metadata, payload.AsSpan(0, 4 + n));
    }

    /// <summary>
    /// Writes the detail layer of an image (a <c>DETL</c> chunk holding <paramref name="payload"/>, whose
    /// syntax the codec defines): once, after every token plane and before the writer is disposed.
    /// </summary>
    /// <exception cref="InvalidOperationException">Segmented media, planes missing, or a detail layer already written.</exception>
    /// <exception cref="ArgumentException">The payload is empty or larger than <see cref="VqcLimits.MaxChunkPayload"/>.</exception>
    public void WriteDetail(ReadOnlySpan<byte> payload)
    {
        WriteDetailCore(payload);
        Flush();
    }

    /// <summary>Asynchronous <see cref="WriteDetail"/> (only the stream write is asynchronous).</summary>
    public async ValueTask WriteDetailAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        WriteDetailCore(payload.Span);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private void WriteDetailCore(ReadOnlySpan<byte> payload)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_header.SegmentLength > 0)
        {
            throw new InvalidOperationException("only unsegmented (image) media has a detail layer");
        }

        if (!IsComplete || _detailWritten)
        {
            throw new InvalidOperationException(_detailWritten ? "the detail layer was already written" : "the detail layer follows every token plane");
        }

        if (payload.IsEmpty || payload.Length > VqcLimits.MaxChunkPayload)
        {
            throw new ArgumentException($"the detail layer must hold 1..{VqcLimits.MaxChunkPayload} bytes; it holds {payload.Length}", nameof(payload));
        }

        _detailWritten = true;
        WriteChunk(ChunkTypes.Detail, payload);
    }

    /// <summary>
    /// Attaches voice parameters to the current segment (the one whose planes are being written; call it before
    /// the segment's last plane). Needs <see cref="VqcWriterOptions.SegmentVoices"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not enabled, not speech, or the segment is complete or already has them.</exception>
    /// <exception cref="ArgumentException">The pitch track does not cover the segment's frames.</exception>
    public void WriteSegmentVoice(int segment, SegmentVoice voice)
    {
        ArgumentNullException.ThrowIfNull(voice);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_options.SegmentVoices || _header.SegmentLength == 0)
        {
            throw new InvalidOperationException("voice parameters need segmented media and VqcWriterOptions.SegmentVoices");
        }

        if (segment != _nextSegment || IsComplete || _pendingVoice is not null)
        {
            throw new InvalidOperationException($"voice parameters for segment {segment}: the writer is at segment {_nextSegment}{(_pendingVoice is null ? "" : ", which already has them")}");
        }

        int frames = _header.TokensInSegment(0, segment);
        if (voice.Pitch.Length != frames)
        {
            throw new ArgumentException($"segment {segment} has {frames} frames; the pitch track has {voice.Pitch.Length}", nameof(voice));
        }

        if (voice.Envelope is not null && !_options.SegmentEnvelopes)
        {
            throw new InvalidOperationException("envelope corrections need VqcWriterOptions.SegmentEnvelopes");
        }

        if (voice.Envelope is { AfterSynthesis: true } && !_options.EnvelopesAfterSynthesis)
        {
            throw new InvalidOperationException("envelope corrections after the synthesis need VqcWriterOptions.EnvelopesAfterSynthesis");
        }

        if (voice.Envelope is { SubFrames: > 1 } && !_options.EnvelopeHalfFrames)
        {
            throw new InvalidOperationException("half-frame envelope corrections need VqcWriterOptions.EnvelopeHalfFrames");
        }

        _pendingVoice = voice.Serialize();
        _pendingEnvelope = voice.Envelope?.Serialize();
    }

    /// <summary>Writes the next token plane; planes must come in file order.</summary>
    /// <returns>The mode chosen and the bytes written (segmented media: 0 until the segment's last plane, which writes the whole segment chunk and reports its size and, for a joint stream, <see cref="TokenCodingMode.RansStaticJoint"/>).</returns>
    /// <exception cref="InvalidOperationException">Out of order, or all planes already written.</exception>
    /// <exception cref="ArgumentException">Wrong token count or a token outside the codebook.</exception>
    public (TokenCodingMode Mode, int Bytes) WritePlane(int segment, int level, ReadOnlySpan<int> tokens)
    {
        var result = WritePlaneCore(segment, level, tokens);
        Flush();
        return result;
    }

    /// <summary>Asynchronous <see cref="WritePlane"/> (the coding runs synchronously; only the stream write is asynchronous).</summary>
    public async ValueTask<(TokenCodingMode Mode, int Bytes)> WritePlaneAsync(int segment, int level, ReadOnlyMemory<int> tokens, CancellationToken cancellationToken = default)
    {
        var result = WritePlaneCore(segment, level, tokens.Span);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    private void Flush()
    {
        if (_pending.Length > 0)
        {
            _stream.Write(_pending.GetBuffer(), 0, (int)_pending.Length);
            _pending.SetLength(0);
        }
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.Length > 0)
        {
            await _stream.WriteAsync(_pending.GetBuffer().AsMemory(0, (int)_pending.Length), cancellationToken).ConfigureAwait(false);
            _pending.SetLength(0);
        }
    }

    private (TokenCodingMode Mode, int Bytes) WritePlaneCore(int segment, int level, ReadOnlySpan<int> tokens)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsComplete)
        {
            throw new InvalidOperationException("all token planes have been written");
        }

        if (segment != _nextSegment || level != _nextLevel)
        {
            throw new InvalidOperationException($"expected segment {_nextSegment} level {_nextLevel}, got segment {segment} level {level}");
        }

        int expected = _header.TokensInSegment(level, segment);
        if (tokens.Length != expected)
        {
            throw new ArgumentException($"segment {segment} level {level} needs {expected} tokens, got {tokens.Length}", nameof(tokens));
        }

        int k = _header.Levels[level].CodebookSize;
        foreach (int t in tokens)
        {
            if ((uint)t >= (uint)k)
            {
                throw new ArgumentException($"token {t} is outside the level's codebook of {k}", nameof(tokens));
            }
        }

        EnsureStarted();
        (TokenCodingMode mode, byte[] data) = Choose(tokens, k, level);
        int bytes;
        if (_header.SegmentLength > 0)
        {
            // Segmented media: the planes of a segment are gathered into one TSEG chunk (spec §4),
            // written when the segment's last plane arrives; the bytes reported then are the chunk's.
            _pendingSegment.Add((mode, data, tokens.ToArray()));
            bytes = 0;
            if (_pendingSegment.Count == _header.Levels.Length)
            {
                byte[] payload = WithVoice(SegmentPayload(segment, ref mode));
                _segmentOffsets[segment] = _position;
                WriteChunk(ChunkTypes.Segment, payload);
                _tokenChunks++;
                _pendingSegment.Clear();
                bytes = payload.Length + ChunkHeader.Overhead;
            }
        }
        else if (_contextCoding)
        {
            // An image whose planes may be context-coded: gathered, then written as one TSEG chunk (mode 5) or as
            // the usual TOKN chunks, whichever is smaller (spec §4, format 1.3); the bytes are reported then.
            _pendingSegment.Add((mode, data, tokens.ToArray()));
            bytes = 0;
            if (_pendingSegment.Count == _header.Levels.Length)
            {
                bytes = WriteImagePlanes(ref mode);
                _pendingSegment.Clear();
            }
        }
        else
        {
            bytes = WriteTokenChunk(level, mode, data, tokens.Length);
        }

        if (++_nextLevel == _header.Levels.Length)
        {
            _nextLevel = 0;
            _nextSegment++;
        }

        return (mode, bytes);
    }

    private int WriteTokenChunk(int level, TokenCodingMode mode, byte[] data, int count)
    {
        var payload = new byte[TokenChunkPrefix.Size + data.Length];
        new TokenChunkPrefix(level, mode, 0, count).Write(payload);
        data.CopyTo(payload.AsSpan(TokenChunkPrefix.Size));
        WriteChunk(ChunkTypes.Tokens, payload);
        _tokenChunks++;
        return payload.Length + ChunkHeader.Overhead;
    }

    private int WriteImagePlanes(ref TokenCodingMode lastMode)
    {
        byte[] stream = _options.Priors!.Context!.Encode([.. _pendingSegment.Select(p => p.Tokens)], _header.Levels[0].GridWidth);
        long perPlane = _pendingSegment.Sum(p => (long)TokenChunkPrefix.Size + p.Data.Length + ChunkHeader.Overhead);
        if (_options.Policy == TokenCodingPolicy.RansContext || SegmentChunkPrefix.Size + stream.Length + ChunkHeader.Overhead < perPlane)
        {
            byte[] payload = JointPayload(0, TokenCodingMode.RansContext, stream);
            WriteChunk(ChunkTypes.Segment, payload);
            _tokenChunks++;
            lastMode = TokenCodingMode.RansContext;
            return payload.Length + ChunkHeader.Overhead;
        }

        int bytes = 0;
        for (int l = 0; l < _pendingSegment.Count; l++)
        {
            bytes += WriteTokenChunk(l, _pendingSegment[l].Mode, _pendingSegment[l].Data, _pendingSegment[l].Tokens.Length);
        }

        return bytes;
    }

    private byte[] SegmentPayload(int segment, ref TokenCodingMode lastMode)
    {
        int size = SegmentChunkPrefix.ModeOffset + _pendingSegment.Sum(p => 1 + VarInt.Size(p.Data.Length) + p.Data.Length);
        TokenPriors? priors = _options.Priors;
        bool smallest = _options.Policy is TokenCodingPolicy.Smallest or TokenCodingPolicy.SmallestWithoutContext;
        (TokenCodingMode Mode, byte[] Data)? best = null;
        if (_contextCoding)
        {
            best = (TokenCodingMode.RansContext, priors!.Context!.Encode(_pendingSegment.Select(p => p.Tokens).ToList()));
        }

        bool jointAllowed = (smallest || _options.Policy == TokenCodingPolicy.RansStatic) && priors is not null
            && Enumerable.Range(0, _pendingSegment.Count).All(l => TokenPlaneCodec.Applicable(TokenCodingMode.RansStatic, _header.Levels[l].CodebookSize, priors, l));
        if (jointAllowed)
        {
            byte[] joint = Rans.EncodeStaticPlanes(_pendingSegment.Select(p => p.Tokens).ToList(), Enumerable.Range(0, _pendingSegment.Count).Select(l => priors!.Table(l)).ToList());
            if (best is null || joint.Length < best.Value.Data.Length)
            {
                best = (TokenCodingMode.RansStaticJoint, joint);
            }
        }

        if (best is { } b && (SegmentChunkPrefix.Size + b.Data.Length < size || !smallest))
        {
            lastMode = b.Mode;
            return JointPayload(segment, b.Mode, b.Data);
        }

        var payload = new byte[size];
        BinaryPrimitives.WriteInt32LittleEndian(payload, segment);
        int at = SegmentChunkPrefix.ModeOffset;
        foreach ((TokenCodingMode m, byte[] d, _) in _pendingSegment)
        {
            payload[at++] = (byte)m;
            at += VarInt.Write(payload.AsSpan(at), d.Length);
            d.CopyTo(payload.AsSpan(at));
            at += d.Length;
        }

        return payload;
    }

    /// <summary>
    /// Inserts the pending voice block after the segment index (spec §4c: the mode byte gains bit 7), and the pending
    /// envelope block after it (§4d: bit 6).
    /// </summary>
    private byte[] WithVoice(byte[] payload)
    {
        if (_pendingVoice is not { } voice)
        {
            return payload;
        }

        byte[]? envelope = _pendingEnvelope;
        _pendingVoice = null;
        _pendingEnvelope = null;
        const int body = SegmentChunkPrefix.Size;
        int voiceBytes = VarInt.Size(voice.Length) + voice.Length;
        int envelopeBytes = envelope is null ? 0 : VarInt.Size(envelope.Length) + envelope.Length;
        var result = new byte[payload.Length + voiceBytes + envelopeBytes];
        SegmentChunkPrefix prefix = SegmentChunkPrefix.Read(payload);
        byte flags = (byte)(SegmentChunkPrefix.VoiceFlag | (envelope is null ? 0 : SegmentChunkPrefix.EnvelopeFlag));
        (prefix with { ModeByte = (byte)(prefix.ModeByte | flags) }).Write(result);
        int at = body + VarInt.Write(result.AsSpan(body), voice.Length);
        voice.CopyTo(result.AsSpan(at));
        at += voice.Length;
        if (envelope is not null)
        {
            at += VarInt.Write(result.AsSpan(at), envelope.Length);
            envelope.CopyTo(result.AsSpan(at));
            at += envelope.Length;
        }

        payload.AsSpan(body).CopyTo(result.AsSpan(at));
        return result;
    }

    /// <summary>A TSEG payload in the joint layout (spec §4): u32 segment, the mode byte, then one stream for every plane.</summary>
    private static byte[] JointPayload(int segment, TokenCodingMode mode, byte[] stream)
    {
        var payload = new byte[SegmentChunkPrefix.Size + stream.Length];
        new SegmentChunkPrefix(segment, (byte)mode).Write(payload);
        stream.CopyTo(payload.AsSpan(SegmentChunkPrefix.Size));
        return payload;
    }

    private (TokenCodingMode, byte[]) Choose(ReadOnlySpan<int> tokens, int k, int level)
    {
        TokenPriors? priors = _options.Priors;
        TokenCodingMode[] candidates = _options.Policy switch
        {
            TokenCodingPolicy.Packed => [TokenCodingMode.Packed],
            TokenCodingPolicy.Lz4 => [TokenCodingMode.Lz4],
            TokenCodingPolicy.RansStatic => [TokenCodingMode.RansStatic],
            TokenCodingPolicy.RansAdaptive => [TokenCodingMode.RansAdaptive],

            // Every segment is context-coded (the constructor checked that it can be): the per-plane form is never used.
            TokenCodingPolicy.RansContext => [TokenCodingMode.Packed],
            _ => [TokenCodingMode.Packed, TokenCodingMode.RansStatic, TokenCodingMode.RansAdaptive],
        };
        (TokenCodingMode Mode, byte[] Data)? best = null;
        foreach (TokenCodingMode mode in candidates)
        {
            if (!TokenPlaneCodec.Applicable(mode, k, priors, level))
            {
                if (candidates.Length == 1)
                {
                    throw new InvalidOperationException($"token coding mode {mode} does not apply to level {level} (codebook {k})");
                }

                continue;
            }

            byte[] data = TokenPlaneCodec.Encode(mode, tokens, k, priors, level);
            if (best is null || data.Length < best.Value.Data.Length)
            {
                best = (mode, data);
            }
        }

        return best!.Value;
    }

    private void EnsureStarted()
    {
        if (_started)
        {
            return;
        }

        byte minor = _options.SegmentVoices && _options.SegmentEnvelopes && _options.EnvelopesAfterSynthesis && _options.EnvelopeHalfFrames && _header.SegmentLength > 0 ? ChunkIO.MinorEnvelopeHalfFrames
            : _options.SegmentVoices && _options.SegmentEnvelopes && _options.EnvelopesAfterSynthesis && _header.SegmentLength > 0 ? ChunkIO.MinorEnvelopeAfterSynthesis
            : _options.SegmentVoices && _options.SegmentEnvelopes && _header.SegmentLength > 0 ? ChunkIO.MinorEnvelope
            : _options.SegmentVoices && _header.SegmentLength > 0 ? ChunkIO.MinorVoice
            : _contextCoding ? (_header.SegmentLength > 0 ? ChunkIO.MinorContext : ChunkIO.MinorImageContext)
            : _options.Restoration is null ? ChunkIO.Minor : ChunkIO.MinorRestoration;
        ChunkIO.WritePreamble(_pending, minor);
        _position = ChunkIO.PreambleSize;
        _started = true;
        WriteChunk(ChunkTypes.Header, _header.Serialize());
        if (_options.Restoration is { } restoration)
        {
            WriteChunk(ChunkTypes.Restoration, restoration.ToPayload());
        }
    }

    private void WriteChunk(uint type, ReadOnlySpan<byte> payload)
    {
        ChunkIO.WriteChunk(_pending, type, payload);
        _position += payload.Length + ChunkHeader.Overhead;
    }

    /// <summary>
    /// Writes the seek table (for segmented media) and the end chunk when every plane was written, then
    /// closes the stream unless leaveOpen. An incomplete file gets no end chunk, so readers reject it.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (Finish())
            {
                Flush();
                _stream.Flush();
            }
        }
        finally
        {
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
    }

    /// <summary>Asynchronous <see cref="Dispose"/>: writes the seek table and end chunk when complete, then closes the stream unless leaveOpen.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (Finish())
            {
                await FlushAsync(CancellationToken.None).ConfigureAwait(false);
                await _stream.FlushAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            if (!_leaveOpen)
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Buffers the seek table and end chunk; false when the file is incomplete (nothing is added).</summary>
    private bool Finish()
    {
        if (!IsComplete)
        {
            return false;
        }

        EnsureStarted();
        long sidxOffset = 0;
        if (_header.SegmentLength > 0)
        {
            sidxOffset = _position;
            var sidx = new byte[4 + (12 * _segmentOffsets.Length)];
            BinaryPrimitives.WriteInt32LittleEndian(sidx, _segmentOffsets.Length);
            for (int s = 0; s < _segmentOffsets.Length; s++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(sidx.AsSpan(4 + (12 * s)), s * _header.SegmentLength);
                BinaryPrimitives.WriteInt64LittleEndian(sidx.AsSpan(8 + (12 * s)), _segmentOffsets[s]);
            }

            WriteChunk(ChunkTypes.SeekIndex, sidx);
        }

        WriteChunk(ChunkTypes.End, new EndChunk(_tokenChunks, sidxOffset).ToPayload());
        return true;
    }
}
