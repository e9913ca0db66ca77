namespace VqCodec.Container.Coding;

/// <summary>
/// Adaptive order-0 counts. Counts start from the prior frequencies scaled by 1/<see cref="PriorDivisor"/>
/// (or 1 per symbol without priors); each coded symbol adds <see cref="Increment"/>; the coding table is
/// rebuilt from the counts every <see cref="RebuildInterval"/> symbols, and counts are halved when they
/// exceed 2^24. All integer, so encoder and decoder stay in lockstep.
/// </summary>
internal sealed class AdaptiveModel
{
    public const int Increment = 24;
    public const int RebuildInterval = 256;
    public const int PriorDivisor = 2;
    private const long HalveAbove = 1L << 24;

    private readonly long[] _counts;
    private long _total;
    private int _sinceRebuild;

    public AdaptiveModel(int symbols, ReadOnlySpan<ushort> prior)
    {
        _counts = new long[symbols];
        for (int i = 0; i < symbols; i++)
        {
            _counts[i] = prior.IsEmpty ? 1 : Math.Max(1, prior[i] / PriorDivisor);
            _total += _counts[i];
        }

        Current = new FrequencyTable(FrequencyTable.Normalize(_counts));
    }

    public FrequencyTable Current { get; private set; }

    public void Update(int symbol)
    {
        _counts[symbol] += Increment;
        _total += Increment;
        if (++_sinceRebuild < RebuildInterval)
        {
            return;
        }

        _sinceRebuild = 0;
        if (_total > HalveAbove)
        {
            _total = 0;
            for (int i = 0; i < _counts.Length; i++)
            {
                _counts[i] = Math.Max(1, _counts[i] >> 1);
                _total += _counts[i];
            }
        }

        Current = new FrequencyTable(FrequencyTable.Normalize(_counts));
    }
}
