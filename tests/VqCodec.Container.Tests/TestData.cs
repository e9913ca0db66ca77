using VqCodec.Container;

namespace VqCodec.Container.Tests;

/// <summary>Deterministic synthetic tokens and headers (own generator, so golden files never depend on System.Random).</summary>
internal static class TestData
{
    public static readonly byte[] ModelHash = Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 1)).ToArray();

    /// <summary>xorshift64* stream.</summary>
    public sealed class Rng(ulong seed)
    {
        private ulong _s = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

        public ulong Next()
        {
            _s ^= _s >> 12;
            _s ^= _s << 25;
            _s ^= _s >> 27;
            return _s * 2685821657736338717UL;
        }

        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>Zipf-distributed tokens with exponent s over k symbols, randomly permuted ranks.</summary>
    public static int[] Zipf(int count, int k, double s, ulong seed)
    {
        var rng = new Rng(seed);
        var cdf = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++)
        {
            sum += 1.0 / Math.Pow(i + 1, s);
            cdf[i] = sum;
        }

        var perm = Enumerable.Range(0, k).ToArray();
        for (int i = k - 1; i > 0; i--)
        {
            int j = (int)(rng.Next() % (ulong)(i + 1));
            (perm[i], perm[j]) = (perm[j], perm[i]);
        }

        var tokens = new int[count];
        for (int n = 0; n < count; n++)
        {
            double u = rng.NextDouble() * sum;
            int lo = Array.BinarySearch(cdf, u);
            if (lo < 0)
            {
                lo = ~lo;
            }

            tokens[n] = perm[Math.Min(lo, k - 1)];
        }

        return tokens;
    }

    public static VqcHeader Image(int w, int h, int levels, int k, int gh, int gw, byte[]? priorsHash = null) => new()
    {
        Kind = MediaKind.Image,
        Width = w,
        Height = h,
        ModelId = "test-image",
        ModelHash = ModelHash,
        PriorsHash = priorsHash ?? new byte[32],
        Levels = Enumerable.Repeat(new TokenLevelLayout(k, gh, gw), levels).ToArray(),
    };

    public static VqcHeader Speech(long samples, int frames, int segment, int levels, int k, byte[]? priorsHash = null) => new()
    {
        Kind = MediaKind.Speech,
        SampleRate = 16000,
        SampleCount = samples,
        Channels = 1,
        BitsPerSample = 16,
        ModelId = "test-speech",
        ModelHash = ModelHash,
        PriorsHash = priorsHash ?? new byte[32],
        SegmentLength = segment,
        Levels = Enumerable.Repeat(new TokenLevelLayout(k, 1, frames), levels).ToArray(),
    };

    public static int[][] Grids(VqcHeader h, double zipf, ulong seed) =>
        h.Levels.Select((l, i) => Zipf((int)l.Cells, l.CodebookSize, zipf, seed + (ulong)i)).ToArray();

    public static TokenPriors Priors(int levels, int k, double zipf, ulong seed)
    {
        var counts = new List<long[]>();
        for (int l = 0; l < levels; l++)
        {
            var c = new long[k];
            foreach (int t in Zipf(20000, k, zipf, seed + (ulong)l))
            {
                c[t]++;
            }

            counts.Add(c);
        }

        return TokenPriors.FromCounts(counts);
    }

    /// <summary>A context prior with deterministic random weights (logits of a few nats, so that its own samples are predictable).</summary>
    public static ContextPrior Context(int levels, int k, int width, int context, ulong seed, bool residual = false, ContextLayout layout = ContextLayout.Sequence)
    {
        var rng = new Rng(seed);
        sbyte[] Bytes(int n) => [.. Enumerable.Range(0, n).Select(_ => (sbyte)((int)(rng.Next() % 255) - 127))];
        int[] Ints(int n, int range) => [.. Enumerable.Range(0, n).Select(_ => (int)(rng.Next() % (ulong)((2 * range) + 1)) - range)];
        QuantizedLinear Linear(int rows, int inputs, int multiplier) =>
            new(Bytes(rows * inputs), [.. Enumerable.Repeat(multiplier, rows)], Ints(rows, 256));
        int mLinear = (int)(65536 / (73 * Math.Sqrt(width)));
        return ContextPrior.Create(new ContextPriorParameters
        {
            CodebookSize = k,
            Width = width,
            ContextFrames = context,
            Residual = residual,
            Layout = layout,
            Past = [.. Enumerable.Range(0, levels).Select(_ => (8 << 16, Bytes(k * width)))],
            Current = [.. Enumerable.Range(0, levels).Select(_ => (8 << 16, Bytes(k * width)))],
            Start = Ints(width, 512),
            LevelCount = Ints(levels * width, 256),
            LevelEmbedding = Ints(levels * width, 512),
            Context = Linear(width, context * width, mLinear / context),
            Hidden = Linear(width, width, mLinear),
            Heads = [.. Enumerable.Range(0, levels).Select(_ => Linear(k, width, 3 * mLinear))],
        });
    }

    public static byte[] Write(VqcDocument doc, VqcWriterOptions? options = null)
    {
        using var ms = new MemoryStream();
        doc.Write(ms, options, leaveOpen: true);
        return ms.ToArray();
    }

    /// <summary>The chunks of a file after its preamble: type and payload.</summary>
    public static List<(uint Type, byte[] Payload)> Chunks(byte[] file)
    {
        var chunks = new List<(uint Type, byte[] Payload)>();
        int p = ChunkIO.PreambleSize;
        while (p < file.Length)
        {
            uint type = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(p));
            int len = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(p + 4));
            chunks.Add((type, file.AsSpan(p + 8, len).ToArray()));
            p += 8 + len + 4;
        }

        return chunks;
    }

    /// <summary>The file's preamble followed by <paramref name="chunks"/>, each framed with a correct CRC.</summary>
    public static byte[] Rebuild(byte[] file, IEnumerable<(uint Type, byte[] Payload)> chunks)
    {
        using var ms = new MemoryStream();
        ms.Write(file.AsSpan(0, ChunkIO.PreambleSize));
        foreach (var (type, payload) in chunks)
        {
            ChunkIO.WriteChunk(ms, type, payload);
        }

        return ms.ToArray();
    }
}
