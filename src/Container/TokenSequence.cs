using System.Text.Json;

namespace VqCodec.Container;

/// <summary>
/// The flat token-sequence form of a .vqc file for language models (spec/tokens.md): one vocabulary shared by
/// special tokens and every level's codes (level l's code k is id <see cref="FirstCodeId"/> + Σ_{j&lt;l} K_j + k,
/// so the level is part of the id), images level by level and row by row, speech segment by segment and frame
/// by frame (the order the learned prior codes them).
/// </summary>
public static class TokenSequence
{
    /// <summary>Padding.</summary>
    public const int Pad = 0;

    /// <summary>Start of a sequence.</summary>
    public const int Begin = 1;

    /// <summary>End of a sequence.</summary>
    public const int End = 2;

    /// <summary>The sequence is an image (follows <see cref="Begin"/>).</summary>
    public const int ImageMarker = 3;

    /// <summary>The sequence is speech (follows <see cref="Begin"/>).</summary>
    public const int SpeechMarker = 4;

    /// <summary>Start of an image level's grid.</summary>
    public const int LevelStart = 5;

    /// <summary>End of an image row.</summary>
    public const int RowEnd = 6;

    /// <summary>Start of a speech segment (the seek and context-restart unit).</summary>
    public const int SegmentStart = 7;

    /// <summary>First id of the level codes (ids 8..15 are reserved).</summary>
    public const int FirstCodeId = 16;

    /// <summary>The vocabulary id of every token of <paramref name="doc"/> with its boundaries, in sequence order.</summary>
    public static List<int> FromDocument(VqcDocument doc)
    {
        ArgumentNullException.ThrowIfNull(doc);
        VqcHeader h = doc.Header;
        int[] offsets = Offsets(h);
        var ids = new List<int> { Begin, h.Kind == MediaKind.Image ? ImageMarker : SpeechMarker };
        if (h.Kind == MediaKind.Image)
        {
            for (int l = 0; l < h.Levels.Length; l++)
            {
                ids.Add(LevelStart);
                int w = h.Levels[l].GridWidth;
                for (int i = 0; i < doc.Tokens[l].Length; i++)
                {
                    ids.Add(offsets[l] + doc.Tokens[l][i]);
                    if (i % w == w - 1)
                    {
                        ids.Add(RowEnd);
                    }
                }
            }
        }
        else
        {
            int frames = doc.Tokens[0].Length, segment = h.SegmentLength > 0 ? h.SegmentLength : frames;
            for (int t = 0; t < frames; t++)
            {
                if (t % segment == 0)
                {
                    ids.Add(SegmentStart);
                }

                for (int l = 0; l < h.Levels.Length; l++)
                {
                    ids.Add(offsets[l] + doc.Tokens[l][t]);
                }
            }
        }

        ids.Add(End);
        return ids;
    }

    /// <summary>The vocabulary of a header's token layout as UTF-8 JSON: special tokens, each level's first id and size, the total.</summary>
    public static byte[] Vocabulary(VqcHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        int[] offsets = Offsets(header);
        var vocabulary = new
        {
            format = "vqc-token-sequence-1",
            model = header.ModelId,
            special = new Dictionary<string, int>
            {
                ["<pad>"] = Pad, ["<bos>"] = Begin, ["<eos>"] = End, ["<image>"] = ImageMarker, ["<speech>"] = SpeechMarker,
                ["<level>"] = LevelStart, ["<row>"] = RowEnd, ["<segment>"] = SegmentStart,
            },
            levels = header.Levels.Select((l, i) => new { level = i, first_id = offsets[i], codebook = l.CodebookSize }).ToArray(),
            size = offsets[^1] + header.Levels[^1].CodebookSize,
        };
        return JsonSerializer.SerializeToUtf8Bytes(vocabulary, new JsonSerializerOptions { WriteIndented = true });
    }

    private static int[] Offsets(VqcHeader h)
    {
        var offsets = new int[h.Levels.Length];
        int next = FirstCodeId;
        for (int l = 0; l < offsets.Length; l++)
        {
            offsets[l] = next;
            next += h.Levels[l].CodebookSize;
        }

        return offsets;
    }
}
