namespace VqCodec.Container.Coding;

/// <summary>Fixed-width LSB-first bit packing of token indices.</summary>
internal static class BitPacking
{
    public static int BitsFor(int codebookSize) => Math.Max(1, 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(codebookSize - 1)));

    public static long PackedLength(long count, int bits) => ((count * bits) + 7) / 8;

    public static byte[] Pack(ReadOnlySpan<int> tokens, int bits)
    {
        var output = new byte[PackedLength(tokens.Length, bits)];
        ulong acc = 0;
        int filled = 0, pos = 0;
        foreach (int t in tokens)
        {
            acc |= (ulong)(uint)t << filled;
            filled += bits;
            while (filled >= 8)
            {
                output[pos++] = (byte)acc;
                acc >>= 8;
                filled -= 8;
            }
        }

        if (filled > 0)
        {
            output[pos] = (byte)acc;
        }

        return output;
    }

    /// <returns>False when the length is wrong or the padding bits are not zero.</returns>
    public static bool Unpack(ReadOnlySpan<byte> data, int bits, Span<int> output)
    {
        if (data.Length != PackedLength(output.Length, bits))
        {
            return false;
        }

        ulong acc = 0;
        int filled = 0, pos = 0;
        uint mask = (1u << bits) - 1;
        for (int i = 0; i < output.Length; i++)
        {
            while (filled < bits)
            {
                acc |= (ulong)data[pos++] << filled;
                filled += 8;
            }

            output[i] = (int)(acc & mask);
            acc >>= bits;
            filled -= bits;
        }

        return acc == 0;
    }
}
