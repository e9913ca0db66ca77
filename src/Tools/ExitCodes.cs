namespace VqCodec.Tools;

/// <summary>Process exit codes of vqc, in one place.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int InvalidData = 3;
    public const int ModelMismatch = 4;
    public const int OutputExists = 5;
    public const int IoError = 6;
    public const int Cancelled = 130;
}
