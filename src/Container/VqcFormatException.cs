namespace VqCodec.Container;

/// <summary>
/// The bytes are not valid VqCodec data (a .vqc stream, a priors file or a model file): bad magic, unsupported
/// version, checksum mismatch, a size above the format's caps, truncation or an inconsistent field. The message
/// names the byte offset. This is the one exception for bad files across the libraries; a well-formed file made
/// for another model is a <see cref="ModelMismatchException"/>.
/// (System.IO.InvalidDataException is sealed, so this derives from FormatException.)
/// </summary>
public sealed class VqcFormatException : FormatException
{
    /// <summary>Creates the exception for a problem at <paramref name="offset"/>.</summary>
    public VqcFormatException(string message, long offset)
        : base($"{message} (at byte offset {offset})")
    {
        Offset = offset;
    }

    /// <summary>Byte offset in the stream where the problem was found.</summary>
    public long Offset { get; }
}
