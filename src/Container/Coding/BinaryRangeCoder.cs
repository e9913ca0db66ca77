namespace VqCodec.Container.Coding;

/// <summary>
/// Adaptive binary range encoder (the LZMA layout): 11-bit probabilities of a zero bit that move by 1/32 of
/// the distance to the coded bit, a 32-bit range renormalised byte-wise with carry propagation through a
/// cached byte, and bypass bits of probability 1/2. Integer-only, so every machine writes and reads the same
/// bytes. Written here because no package in the registry offers a context-adaptive binary coder.
/// </summary>
internal sealed class BinaryRangeEncoder
{
    /// <summary>Initial value of every context: probability 1/2.</summary>
    public const ushort Half = 1 << (ProbabilityBits - 1);
    internal const int ProbabilityBits = 11;
    internal const int AdaptShift = 5;
    private const uint Top = 1u << 24;

    private readonly MemoryStream _output = new();
    private ulong _low;
    private uint _range = uint.MaxValue;
    private byte _cache;
    private long _cacheSize = 1;

    /// <summary>Bytes written so far (excluding up to five bytes still held in the coder state).</summary>
    public long Length => _output.Length;

    /// <summary>Codes <paramref name="bit"/> with the adaptive probability <paramref name="probability"/> and updates it.</summary>
    public void Encode(ref ushort probability, int bit)
    {
        uint bound = (_range >> ProbabilityBits) * probability;
        if (bit == 0)
        {
            _range = bound;
            probability += (ushort)(((1 << ProbabilityBits) - probability) >> AdaptShift);
        }
        else
        {
            _low += bound;
            _range -= bound;
            probability -= (ushort)(probability >> AdaptShift);
        }

        while (_range < Top)
        {
            _range <<= 8;
            ShiftLow();
        }
    }

    /// <summary>Codes <paramref name="bit"/> with probability 1/2 (no context).</summary>
    public void EncodeBypass(int bit)
    {
        _range >>= 1;
        if (bit != 0)
        {
            _low += _range;
        }

        while (_range < Top)
        {
            _range <<= 8;
            ShiftLow();
        }
    }

    /// <summary>Flushes the coder state and returns every byte.</summary>
    public byte[] Finish()
    {
        for (int i = 0; i < 5; i++)
        {
            ShiftLow();
        }

        return _output.ToArray();
    }

    private void ShiftLow()
    {
        if ((uint)_low < 0xFF000000u || (_low >> 32) != 0)
        {
            byte carry = (byte)(_low >> 32);
            byte pending = _cache;
            do
            {
                _output.WriteByte((byte)(pending + carry));
                pending = 0xFF;
            }
            while (--_cacheSize != 0);
            _cache = (byte)(_low >> 24);
        }

        _cacheSize++;
        _low = (_low & 0x00FFFFFFu) << 8;
    }
}

/// <summary>
/// Decoder of <see cref="BinaryRangeEncoder"/>. Reading past the end of the data yields zero bytes and is
/// counted, so corrupt input cannot make it read out of bounds; callers check <see cref="Overrun"/>.
/// </summary>
internal sealed class BinaryRangeDecoder
{
    private const uint Top = 1u << 24;
    private readonly byte[] _data;
    private int _position;
    private uint _range = uint.MaxValue;
    private uint _code;

    /// <summary>Starts decoding <paramref name="data"/>.</summary>
    /// <exception cref="VqcFormatException">The data is shorter than the coder's five-byte start or does not start with 0.</exception>
    public BinaryRangeDecoder(byte[] data)
    {
        _data = data;
        if (data.Length < 5 || data[0] != 0)
        {
            throw new VqcFormatException("range-coded data must start with a zero byte and hold at least 5 bytes", 0);
        }

        _position = 1;
        for (int i = 0; i < 4; i++)
        {
            _code = (_code << 8) | NextByte();
        }
    }

    /// <summary>Bytes requested beyond the end of the data (0 for intact data).</summary>
    public int Overrun { get; private set; }

    /// <summary>Decodes one bit with the adaptive probability <paramref name="probability"/> and updates it.</summary>
    public int Decode(ref ushort probability)
    {
        uint bound = (_range >> BinaryRangeEncoder.ProbabilityBits) * probability;
        int bit;
        if (_code < bound)
        {
            _range = bound;
            probability += (ushort)(((1 << BinaryRangeEncoder.ProbabilityBits) - probability) >> BinaryRangeEncoder.AdaptShift);
            bit = 0;
        }
        else
        {
            _code -= bound;
            _range -= bound;
            probability -= (ushort)(probability >> BinaryRangeEncoder.AdaptShift);
            bit = 1;
        }

        Normalize();
        return bit;
    }

    /// <summary>Decodes one bit of probability 1/2.</summary>
    public int DecodeBypass()
    {
        _range >>= 1;
        int bit = 0;
        if (_code >= _range)
        {
            _code -= _range;
            bit = 1;
        }

        Normalize();
        return bit;
    }

    private void Normalize()
    {
        while (_range < Top)
        {
            _range <<= 8;
            _code = (_code << 8) | NextByte();
        }
    }

    private uint NextByte()
    {
        if (_position < _data.Length)
        {
            return _data[_position++];
        }

        Overrun++;
        return 0;
    }
}
