namespace VqCodec.Container.Coding;

/// <summary>Unsigned LEB128 integers (7 bits per byte, low group first, high bit = more), at most 4 bytes (values below 2^28).</summary>
internal static class VarInt
{
    public const int MaxValue = (1 << 28) - 1;

    public static int Size(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxValue);
        return value < 1 << 7 ? 1 : value < 1 << 14 ? 2 : value < 1 << 21 ? 3 : 4;
    }

    public static int Write(Span<byte> destination, int value)
    {
        int n = Size(value);
        for (int i = 0; i < n; i++)
        {
            destination[i] = (byte)((value & 0x7F) | (i < n - 1 ? 0x80 : 0));
            value >>= 7;
        }

        return n;
    }

    /// <summary>Reads a minimal encoding; returns false on truncation, more than 4 bytes, or a non-minimal (zero-padded) form.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out int value, out int bytes)
    {
        value = 0;
        bytes = 0;
        for (int i = 0; i < 4 && i < source.Length; i++)
        {
            byte b = source[i];
            value |= (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                bytes = i + 1;
                return !(i > 0 && b == 0);
            }
        }

        return false;
    }
}
