namespace VqCodec.Container;

/// <summary>A read-only, forward-only stream over appended bytes; consumed bytes are dropped as it goes.</summary>
internal sealed class FeedStream : Stream
{
    private byte[] _data = new byte[4096];
    private int _count;
    private int _read;
    private long _dropped;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _dropped + _count;

    public override long Position { get => _dropped + _read; set => throw new NotSupportedException(); }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_read > 0 && _read == _count)
        {
            _dropped += _read;
            _count = _read = 0;
        }
        else if (_read > 1 << 16)
        {
            Array.Copy(_data, _read, _data, 0, _count - _read);
            _dropped += _read;
            _count -= _read;
            _read = 0;
        }

        if (_count + bytes.Length > _data.Length)
        {
            Array.Resize(ref _data, Math.Max(_data.Length * 2, _count + bytes.Length));
        }

        bytes.CopyTo(_data.AsSpan(_count));
        _count += bytes.Length;
    }

    public void Peek(long position, Span<byte> destination) =>
        _data.AsSpan((int)(position - _dropped), destination.Length).CopyTo(destination);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(buffer.Length, _count - _read);
        _data.AsSpan(_read, n).CopyTo(buffer);
        _read += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
