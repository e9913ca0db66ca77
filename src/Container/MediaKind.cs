namespace VqCodec.Container;

/// <summary>What a .vqc file encodes.</summary>
public enum MediaKind : byte
{
    /// <summary>An RGB image; token grid per level is H'×W'.</summary>
    Image = 1,

    /// <summary>Mono speech; token grid per level is 1×frames, stored in segments.</summary>
    Speech = 2,
}
