namespace VqCodec.Container;

/// <summary>
/// Read-side wrapper that lets the synchronous parser serve the async API: the async methods first
/// buffer whole chunks with <see cref="FillAsync"/>, then the one synchronous implementation parses
/// them from the buffer without blocking. Synchronous callers read straight through.
/// </summary>
internal sealed class PrefetchStream(Stream inner) : Stream
{
    private byte[] _buffer = new byte[256];
    private int _start;
    private int _count;
    private bool _ended;

    public override bool CanRead => true;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position - _count;
        set => Seek(value, SeekOrigin.Begin);
    }

    /// <summary>Buffers until <paramref name="bytes"/> unread bytes are available; false if the stream ends first.</summary>
    public async ValueTask<bool> FillAsync(long bytes, CancellationToken cancellationToken)
    {
        if (bytes > int.MaxValue / 2)
        {
            return false;
        }

        int need = (int)bytes;
        if (_count >= need)
        {
            return true;
        }

        if (_start + need > _buffer.Length && _start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _count);
            _start = 0;
        }

        while (_count < need)
        {
            // Grow with the bytes that arrive (doubling), never to a length a chunk header merely claims.
            if (_start + _count == _buffer.Length)
            {
                Array.Resize(ref _buffer, (int)Math.Min(need, Math.Max(2L * _buffer.Length, 1 << 16)));
            }

            int room = Math.Min(_buffer.Length - _start, need) - _count;
            int n = await inner.ReadAsync(_buffer.AsMemory(_start + _count, room), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                _ended = true;
                return false;
            }

            _count += n;
        }

        return true;
    }

    /// <summary>A chunk header (type, length) <paramref name="offset"/> bytes ahead in the buffer.</summary>
    public ChunkHeader PeekChunkHeader(long offset) => ChunkHeader.Read(_buffer.AsSpan(_start + (int)offset, ChunkHeader.Size));

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_count == 0)
        {
            // After an asynchronous read saw the end, report it without touching the stream again.
            return _ended ? 0 : inner.Read(buffer);
        }

        int n = Math.Min(_count, buffer.Length);
        _buffer.AsSpan(_start, n).CopyTo(buffer);
        _start += n;
        _count -= n;
        if (_count == 0)
        {
            _start = 0;
        }

        return n;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        if (origin == SeekOrigin.Current)
        {
            offset += Position;
            origin = SeekOrigin.Begin;
        }

        _start = _count = 0;
        _ended = false;
        return inner.Seek(offset, origin);
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
