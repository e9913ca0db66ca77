using System.Buffers;

namespace VqCodec.Container;

/// <summary>
/// Reads a .vqc stream whose bytes arrive in pieces (a socket, a pipe, a player's buffer): <see cref="Append"/>
/// the bytes as they come and take the header and whole token planes out as soon as the chunks that hold them
/// are complete, in the manner of the <c>System.Buffers</c> coders (<see cref="OperationStatus.NeedMoreData"/>
/// until they are). Nothing blocks and nothing is read past the bytes appended; the chunks are parsed by the
/// same code as <see cref="VqcReader"/>, so every check of the format applies. Memory holds the bytes of the
/// chunks not yet taken.
/// </summary>
public sealed class VqcIncrementalReader : IDisposable
{
    private readonly FeedStream _feed = new();
    private readonly VqcReader _reader;
    private long _scan;          // bytes of the preamble and of complete chunks found so far
    private int _tokenChunks;    // complete token chunks found and not yet parsed
    private bool _endFound;      // the end chunk is complete
    private bool _endTaken;      // ... and parsed: every plane has been taken

    /// <summary>Creates a reader; <paramref name="priorsResolver"/> supplies the token priors a header names (needed for rANS-coded planes).</summary>
    public VqcIncrementalReader(Func<VqcHeader, TokenPriors?>? priorsResolver = null, VqcReaderOptions? options = null)
    {
        _reader = new VqcReader(_feed, priorsResolver, leaveOpen: true, structureOnlyWithoutPriors: false, options);
    }

    /// <summary>The header, once its chunk has arrived whole; null before.</summary>
    public VqcHeader? Header { get; private set; }

    /// <summary>True once the end chunk has been parsed (<see cref="TryReadPlane"/> gave its last plane).</summary>
    public bool IsCompleted => _endTaken;

    /// <summary>Bytes appended so far.</summary>
    public long BytesAppended => _feed.Length;

    /// <summary>Adds the next bytes of the stream; parses the header as soon as it is whole.</summary>
    /// <exception cref="VqcFormatException">Bad bytes (not a .vqc stream, malformed framing, a bad header, bytes after the end chunk).</exception>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (_endFound && !data.IsEmpty)
        {
            throw new VqcFormatException("bytes after the end chunk", _feed.Length);
        }

        _feed.Append(data);
        Scan();
    }

    /// <summary>
    /// Takes the next token plane: <see cref="OperationStatus.Done"/> with a plane, <see cref="OperationStatus.Done"/>
    /// with null once the end chunk has been read (the stream is complete and checked), or
    /// <see cref="OperationStatus.NeedMoreData"/> when the chunk holding the next plane has not arrived whole.
    /// </summary>
    /// <exception cref="VqcFormatException">Bad bytes.</exception>
    /// <exception cref="ModelMismatchException">A rANS plane needs token priors that were not supplied, or the supplied ones do not match the file.</exception>
    public OperationStatus TryReadPlane(out VqcTokenPlane? plane)
    {
        plane = null;
        if (_reader.HasQueuedPlanes)
        {
            plane = _reader.GetNextPlane();
            return OperationStatus.Done;
        }

        if (_tokenChunks > 0)
        {
            _tokenChunks--;
            plane = _reader.GetNextPlane() ?? throw new VqcFormatException("unexpected end", _scan);
            return OperationStatus.Done;
        }

        if (!_endFound)
        {
            return OperationStatus.NeedMoreData;
        }

        if (!_endTaken)
        {
            if (_reader.GetNextPlane() is not null)
            {
                throw new VqcFormatException("token data after the last segment", _scan);
            }

            _endTaken = true;
        }

        return OperationStatus.Done;
    }

    /// <summary>Says that the input has ended: throws when the stream stopped before its end chunk.</summary>
    /// <exception cref="VqcFormatException">The stream ended before its end chunk (a truncated file).</exception>
    public void Complete()
    {
        if (!_endFound)
        {
            throw new VqcFormatException("the stream ended before its end chunk (truncated file)", _feed.Length);
        }
    }

    /// <summary>Releases the parser.</summary>
    public void Dispose() => _reader.Dispose();

    /// <summary>Walks the chunks that have arrived whole: parses the header, counts token chunks, notes the end.</summary>
    private void Scan()
    {
        Span<byte> bytes = stackalloc byte[ChunkIO.PreambleSize];
        while (!_endFound)
        {
            if (_scan == 0)
            {
                if (_feed.Length < ChunkIO.PreambleSize)
                {
                    return;
                }

                _feed.Peek(0, bytes);
                ChunkIO.CheckPreamble(bytes);
                _scan = ChunkIO.PreambleSize;
                continue;
            }

            if (_feed.Length - _scan < ChunkHeader.Size)
            {
                return;
            }

            _feed.Peek(_scan, bytes[..ChunkHeader.Size]);
            ChunkHeader chunk = ChunkHeader.Read(bytes);
            chunk.Validate(_scan);
            if (_feed.Length - _scan < chunk.Total)
            {
                return;
            }

            long at = _scan;
            _scan += chunk.Total;
            if (chunk.Type == ChunkTypes.Header)
            {
                Header = _reader.ReadHeader();
            }
            else if (chunk.Type == ChunkTypes.Segment || chunk.Type == ChunkTypes.Tokens)
            {
                _ = Header ?? throw new VqcFormatException("token chunk before the header", at);
                _tokenChunks++;
            }
            else if (chunk.Type == ChunkTypes.End)
            {
                _endFound = true;
                if (_feed.Length > _scan)
                {
                    throw new VqcFormatException("bytes after the end chunk", _scan);
                }
            }
        }
    }
}
