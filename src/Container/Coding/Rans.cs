using System.Buffers.Binary;

namespace VqCodec.Container.Coding;

/// <summary>
/// Byte-wise rANS with a 32-bit state (ryg_rans layout): state in [2^23, 2^31), 16-bit frequencies,
/// output produced backwards and stored as: 4-byte little-endian final state, then renormalisation
/// bytes in decoding order. Integer-only, so every machine produces and reads the same bytes.
/// The decoder checks that it ends in the encoder's initial state, which catches most corruption
/// that the chunk CRC did not (the CRC is checked first).
/// </summary>
internal static class Rans
{
    internal const uint Lower = 1u << 23;

    /// <summary>Encodes symbols given per-symbol (start, freq) pairs; returns the coded bytes.</summary>
    public static byte[] Encode(ReadOnlySpan<int> starts, ReadOnlySpan<int> freqs)
    {
        int n = starts.Length;
        // Each symbol emits at most 2 bytes (freq >= 1 and 16-bit scale), plus the 4-byte state.
        var buffer = new byte[(2 * n) + 8];
        int pos = buffer.Length;
        uint x = Lower;
        for (int i = n - 1; i >= 0; i--)
        {
            uint f = (uint)freqs[i];
            uint xMax = ((Lower >> FrequencyTable.ScaleBits) << 8) * f;
            while (x >= xMax)
            {
                buffer[--pos] = (byte)x;
                x >>= 8;
            }

            x = ((x / f) << FrequencyTable.ScaleBits) + (x % f) + (uint)starts[i];
        }

        pos -= 4;
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(pos), x);
        return buffer.AsSpan(pos).ToArray();
    }

    /// <summary>Static-table encode.</summary>
    public static byte[] EncodeStatic(ReadOnlySpan<int> tokens, FrequencyTable table)
    {
        var starts = new int[tokens.Length];
        var freqs = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            int s = tokens[i];
            starts[i] = table.Start[s];
            freqs[i] = table.Freq[s];
        }

        return Encode(starts, freqs);
    }

    /// <summary>Static-table decode of exactly <paramref name="output"/>.Length symbols.</summary>
    /// <returns>False when the data is inconsistent (runs past its end, leftover bytes, or a wrong final state).</returns>
    public static bool DecodeStatic(ReadOnlySpan<byte> data, FrequencyTable table, ushort[] lookup, Span<int> output)
    {
        if (data.Length < 4)
        {
            return false;
        }

        uint x = BinaryPrimitives.ReadUInt32LittleEndian(data);
        int pos = 4;
        return DecodeRun(data, table, lookup, output, ref x, ref pos) && x == Lower && pos == data.Length;
    }

    /// <summary>Encodes several planes as one stream, plane i with its own static table (planes in order).</summary>
    public static byte[] EncodeStaticPlanes(IReadOnlyList<int[]> planes, IReadOnlyList<FrequencyTable> tables)
    {
        int n = planes.Sum(p => p.Length), i = 0;
        var starts = new int[n];
        var freqs = new int[n];
        for (int p = 0; p < planes.Count; p++)
        {
            foreach (int s in planes[p])
            {
                starts[i] = tables[p].Start[s];
                freqs[i++] = tables[p].Freq[s];
            }
        }

        return Encode(starts, freqs);
    }

    /// <summary>Decodes a stream of <see cref="EncodeStaticPlanes"/> into <paramref name="outputs"/> (their lengths give the counts).</summary>
    public static bool DecodeStaticPlanes(ReadOnlySpan<byte> data, IReadOnlyList<(FrequencyTable Table, ushort[] Lookup)> tables, int[][] outputs)
    {
        if (data.Length < 4)
        {
            return false;
        }

        uint x = BinaryPrimitives.ReadUInt32LittleEndian(data);
        int pos = 4;
        for (int p = 0; p < outputs.Length; p++)
        {
            if (!DecodeRun(data, tables[p].Table, tables[p].Lookup, outputs[p], ref x, ref pos))
            {
                return false;
            }
        }

        return x == Lower && pos == data.Length;
    }

    private static bool DecodeRun(ReadOnlySpan<byte> data, FrequencyTable table, ushort[] lookup, Span<int> output, ref uint x, ref int pos)
    {
        ushort[] freq = table.Freq;
        int[] start = table.Start;
        for (int i = 0; i < output.Length; i++)
        {
            uint slot = x & (FrequencyTable.Total - 1);
            int s = lookup[slot];
            output[i] = s;
            x = (freq[s] * (x >> FrequencyTable.ScaleBits)) + slot - (uint)start[s];
            while (x < Lower)
            {
                if (pos >= data.Length)
                {
                    return false;
                }

                x = (x << 8) | data[pos++];
            }
        }

        return true;
    }

    /// <summary>Adaptive encode: the model sees each symbol after coding it, in forward order.</summary>
    public static byte[] EncodeAdaptive(ReadOnlySpan<int> tokens, AdaptiveModel model)
    {
        var starts = new int[tokens.Length];
        var freqs = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            FrequencyTable t = model.Current;
            int s = tokens[i];
            starts[i] = t.Start[s];
            freqs[i] = t.Freq[s];
            model.Update(s);
        }

        return Encode(starts, freqs);
    }

    /// <summary>Adaptive decode; mirrors <see cref="EncodeAdaptive"/>.</summary>
    public static bool DecodeAdaptive(ReadOnlySpan<byte> data, AdaptiveModel model, Span<int> output)
    {
        if (data.Length < 4)
        {
            return false;
        }

        uint x = BinaryPrimitives.ReadUInt32LittleEndian(data);
        int pos = 4;
        for (int i = 0; i < output.Length; i++)
        {
            FrequencyTable t = model.Current;
            uint slot = x & (FrequencyTable.Total - 1);
            int s = t.Find((int)slot);
            output[i] = s;
            x = (t.Freq[s] * (x >> FrequencyTable.ScaleBits)) + slot - (uint)t.Start[s];
            model.Update(s);
            while (x < Lower)
            {
                if (pos >= data.Length)
                {
                    return false;
                }

                x = (x << 8) | data[pos++];
            }
        }

        return x == Lower && pos == data.Length;
    }
}

/// <summary>
/// Symbol-at-a-time rANS decoding for models whose distribution changes with every symbol (the context prior):
/// the caller supplies each symbol's frequencies and cumulative starts.
/// </summary>
internal sealed class RansDecoder
{
    private readonly ReadOnlyMemory<byte> _data;
    private uint _x;
    private int _pos;
    private bool _bad;

    public RansDecoder(ReadOnlyMemory<byte> data)
    {
        _data = data;
        _bad = data.Length < 4;
        _x = _bad ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(data.Span);
        _pos = 4;
    }

    /// <summary>True when the stream ended exactly: every byte read and the encoder's initial state reached.</summary>
    public bool Finished => !_bad && _x == Rans.Lower && _pos == _data.Length;

    /// <summary>Decodes one symbol with <paramref name="freq"/> (sum 2^16) and <paramref name="start"/> (K + 1 cumulative starts); −1 when the data runs out.</summary>
    public int Decode(ReadOnlySpan<int> freq, ReadOnlySpan<int> start)
    {
        if (_bad)
        {
            return -1;
        }

        uint slot = _x & (FrequencyTable.Total - 1);
        int lo = 0, hi = freq.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (start[mid] <= slot)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        _x = ((uint)freq[lo] * (_x >> FrequencyTable.ScaleBits)) + slot - (uint)start[lo];
        while (_x < Rans.Lower)
        {
            if (_pos >= _data.Length)
            {
                _bad = true;
                return -1;
            }

            _x = (_x << 8) | _data.Span[_pos++];
        }

        return lo;
    }
}
