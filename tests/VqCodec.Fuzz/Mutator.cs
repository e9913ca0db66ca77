namespace VqCodec.Fuzz;

/// <summary>
/// Deterministic mutations of seed files for the in-process smoke runs (the long campaigns use afl++'s own
/// mutator): bit flips, byte overwrites with boundary values, inserted and deleted runs, truncation,
/// little-endian 32-bit fields set to hostile values (lengths, counts, sizes) and splices of two seeds.
/// </summary>
public sealed class Mutator(int seed)
{
    private static readonly uint[] Hostile = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 20, 1 << 22, 1 << 24, 1 << 26];
    private readonly Random _rng = new(seed);

    /// <summary>A mutant of one of <paramref name="seeds"/>, with one to four mutations.</summary>
    public byte[] Next(IReadOnlyList<byte[]> seeds)
    {
        var data = new List<byte>(seeds[_rng.Next(seeds.Count)]);
        int count = 1 + _rng.Next(4);
        for (int m = 0; m < count && data.Count > 0; m++)
        {
            int at = _rng.Next(data.Count);
            switch (_rng.Next(7))
            {
                case 0:
                    data[at] ^= (byte)(1 << _rng.Next(8));
                    break;
                case 1:
                    data[at] = (byte)Hostile[_rng.Next(Hostile.Length)];
                    break;
                case 2:
                    data.InsertRange(at, Enumerable.Range(0, 1 + _rng.Next(16)).Select(_ => (byte)_rng.Next(256)));
                    break;
                case 3:
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + _rng.Next(32)));
                    break;
                case 4:
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 5:
                    uint v = Hostile[_rng.Next(Hostile.Length)];
                    for (int i = 0; i < 4 && at + i < data.Count; i++)
                    {
                        data[at + i] = (byte)(v >> (8 * i));
                    }

                    break;
                default:
                    byte[] other = seeds[_rng.Next(seeds.Count)];
                    int from = _rng.Next(other.Length);
                    data.RemoveRange(at, data.Count - at);
                    data.AddRange(other.AsSpan(from).ToArray());
                    break;
            }
        }

        return [.. data];
    }
}
