using System.Buffers;
using VqCodec.Container;

namespace VqCodec.Container.Tests;

/// <summary><see cref="VqcIncrementalReader"/>: bytes pushed in pieces, whole planes taken out.</summary>
public class IncrementalReaderTests
{
    public static TheoryData<string> Names() => GoldenTests.Names();

    private static List<VqcTokenPlane> Pull(byte[] file)
    {
        using var reader = new VqcReader(new MemoryStream(file), GoldenFiles.Resolve);
        var planes = new List<VqcTokenPlane>();
        while (reader.GetNextPlane() is { } plane)
        {
            planes.Add(plane);
        }

        return planes;
    }

    /// <summary>Pushes <paramref name="file"/> in pieces of the given sizes (cycled), taking planes after each.</summary>
    private static (List<VqcTokenPlane> Planes, List<long> TakenAt) Push(byte[] file, int[] pieces, VqcIncrementalReader reader)
    {
        var planes = new List<VqcTokenPlane>();
        var takenAt = new List<long>();
        int at = 0, i = 0;
        while (at < file.Length)
        {
            int n = Math.Min(pieces[i++ % pieces.Length], file.Length - at);
            reader.Append(file.AsSpan(at, n));
            at += n;
            while (reader.TryReadPlane(out VqcTokenPlane? plane) == OperationStatus.Done && plane is not null)
            {
                planes.Add(plane);
                takenAt.Add(at);
            }
        }

        return (planes, takenAt);
    }

    private static void AssertSame(List<VqcTokenPlane> expected, List<VqcTokenPlane> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int p = 0; p < expected.Count; p++)
        {
            Assert.Equal((expected[p].Level, expected[p].Segment, expected[p].Mode), (actual[p].Level, actual[p].Segment, actual[p].Mode));
            Assert.Equal(expected[p].Tokens, actual[p].Tokens);
            Assert.Equal(expected[p].Voice?.Pitch.ToArray(), actual[p].Voice?.Pitch.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryGoldenFileGivesThePulledPlanesWhateverThePieces(string name)
    {
        byte[] file = GoldenFiles.Load(name);
        List<VqcTokenPlane> pulled = Pull(file);
        foreach (int[] pieces in new[] { new[] { 1 }, [7, 1, 30], [file.Length] })
        {
            using var reader = new VqcIncrementalReader(GoldenFiles.Resolve);
            (List<VqcTokenPlane> pushed, _) = Push(file, pieces, reader);
            AssertSame(pulled, pushed);
            Assert.True(reader.IsCompleted);
            Assert.NotNull(reader.Header);
            Assert.Equal(file.Length, reader.BytesAppended);
            reader.Complete();
            Assert.Equal(OperationStatus.Done, reader.TryReadPlane(out VqcTokenPlane? after));
            Assert.Null(after);
        }
    }

    [Fact]
    public void APlaneComesOutAsSoonAsItsChunkIsWholeAndNotBefore()
    {
        byte[] file = GoldenFiles.Load("speech-segments.vqc");
        using var reader = new VqcIncrementalReader(GoldenFiles.Resolve);
        (List<VqcTokenPlane> planes, List<long> takenAt) = Push(file, [1], reader);
        Assert.True(planes.Count > 2);

        // Byte by byte, each plane is taken when the last byte of its chunk arrives (a segment's levels together):
        // one byte earlier only the planes of earlier chunks are out.
        for (int p = 0; p < planes.Count; p++)
        {
            using var early = new VqcIncrementalReader(GoldenFiles.Resolve);
            early.Append(file.AsSpan(0, (int)takenAt[p] - 1));
            int taken = 0;
            while (early.TryReadPlane(out VqcTokenPlane? plane) == OperationStatus.Done && plane is not null)
            {
                taken++;
            }

            Assert.Equal(takenAt.Count(t => t < takenAt[p]), taken);
        }
    }

    [Fact]
    public void TheHeaderArrivesWithItsChunk()
    {
        byte[] file = GoldenFiles.Load("speech-joint.vqc");
        (_, int headerBytes) = VqcProbe.ReadHeader(file);
        using var reader = new VqcIncrementalReader(GoldenFiles.Resolve);
        reader.Append(file.AsSpan(0, headerBytes - 1));
        Assert.Null(reader.Header);
        Assert.Equal(OperationStatus.NeedMoreData, reader.TryReadPlane(out _));
        reader.Append(file.AsSpan(headerBytes - 1, 1));
        Assert.Equal(VqcProbe.ReadHeader(file).Header.SampleCount, reader.Header!.SampleCount);
    }

    [Fact]
    public void TruncatedTrailingAndCorruptStreamsAreFormatErrors()
    {
        byte[] file = GoldenFiles.Load("speech-voice.vqc");

        // Cut anywhere: no plane is invented, and the end of input is refused.
        foreach (int cut in new[] { 0, 5, 16, 30, file.Length / 2, file.Length - 1 })
        {
            using var reader = new VqcIncrementalReader(GoldenFiles.Resolve);
            reader.Append(file.AsSpan(0, cut));
            while (reader.TryReadPlane(out VqcTokenPlane? plane) == OperationStatus.Done && plane is not null)
            {
            }

            Assert.False(reader.IsCompleted);
            Assert.Throws<VqcFormatException>(reader.Complete);
        }

        using (var reader = new VqcIncrementalReader(GoldenFiles.Resolve))
        {
            Assert.Throws<VqcFormatException>(() => reader.Append([.. file, 0]));
        }

        using (var reader = new VqcIncrementalReader(GoldenFiles.Resolve))
        {
            reader.Append(file);
            Assert.Throws<VqcFormatException>(() => reader.Append([0]));
        }

        Assert.Throws<VqcFormatException>(() => new VqcIncrementalReader().Append(new byte[20]));

        // Flipped bits: a format error (or a model mismatch for a damaged priors hash), never anything else.
        var rng = new Random(5);
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] bad = (byte[])file.Clone();
            bad[rng.Next(bad.Length)] ^= (byte)(1 << rng.Next(8));
            using var reader = new VqcIncrementalReader(GoldenFiles.Resolve);
            try
            {
                Push(bad, [1 + rng.Next(40)], reader);
                reader.Complete();
            }
            catch (Exception ex) when (ex is VqcFormatException or ModelMismatchException)
            {
            }
        }
    }
}
