using System.Buffers.Binary;
using K4os.Compression.LZ4;

namespace VqCodec.Container.Coding;

/// <summary>Encodes and decodes the token data of one TOKN chunk in each <see cref="TokenCodingMode"/>.</summary>
internal static class TokenPlaneCodec
{
    public static bool Applicable(TokenCodingMode mode, int codebookSize, TokenPriors? priors, int level) => mode switch
    {
        TokenCodingMode.Packed => true,
        TokenCodingMode.Lz4 => true,
        TokenCodingMode.RansStatic => priors is not null && level < priors.Levels && priors.CodebookSize(level) == codebookSize,
        TokenCodingMode.RansAdaptive => codebookSize <= VqcLimits.MaxEntropyCodedCodebook && (priors is null || level >= priors.Levels || priors.CodebookSize(level) == codebookSize),
        _ => false,
    };

    public static byte[] Encode(TokenCodingMode mode, ReadOnlySpan<int> tokens, int codebookSize, TokenPriors? priors, int level)
    {
        switch (mode)
        {
            case TokenCodingMode.Packed:
                return BitPacking.Pack(tokens, BitPacking.BitsFor(codebookSize));
            case TokenCodingMode.Lz4:
                {
                    var raw = new byte[tokens.Length * 2];
                    for (int i = 0; i < tokens.Length; i++)
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(raw.AsSpan(2 * i), (ushort)tokens[i]);
                    }

                    var output = new byte[LZ4Codec.MaximumOutputSize(raw.Length)];
                    int n = LZ4Codec.Encode(raw, output, LZ4Level.L00_FAST);
                    return output.AsSpan(0, n).ToArray();
                }

            case TokenCodingMode.RansStatic:
                return Rans.EncodeStatic(tokens, priors!.Table(level));
            case TokenCodingMode.RansAdaptive:
                return Rans.EncodeAdaptive(tokens, NewAdaptive(codebookSize, priors, level));
            default:
                throw new ArgumentOutOfRangeException(nameof(mode));
        }
    }

    /// <returns>False when the data does not decode to exactly output.Length valid tokens.</returns>
    public static bool Decode(TokenCodingMode mode, ReadOnlySpan<byte> data, int codebookSize, TokenPriors? priors, int level, Span<int> output)
    {
        bool ok;
        switch (mode)
        {
            case TokenCodingMode.Packed:
                ok = BitPacking.Unpack(data, BitPacking.BitsFor(codebookSize), output);
                break;
            case TokenCodingMode.Lz4:
                {
                    var raw = new byte[output.Length * 2];
                    int n;
                    try
                    {
                        n = LZ4Codec.Decode(data, raw);
                    }
                    catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
                    {
                        return false;
                    }

                    ok = n == raw.Length;
                    for (int i = 0; ok && i < output.Length; i++)
                    {
                        output[i] = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(2 * i));
                    }

                    break;
                }

            case TokenCodingMode.RansStatic:
                ok = Rans.DecodeStatic(data, priors!.Table(level), priors.Lookup(level), output);
                break;
            case TokenCodingMode.RansAdaptive:
                ok = Rans.DecodeAdaptive(data, NewAdaptive(codebookSize, priors, level), output);
                break;
            default:
                return false;
        }

        if (!ok)
        {
            return false;
        }

        foreach (int t in output)
        {
            if ((uint)t >= (uint)codebookSize)
            {
                return false;
            }
        }

        return true;
    }

    private static AdaptiveModel NewAdaptive(int codebookSize, TokenPriors? priors, int level) =>
        new(codebookSize, priors is not null && level < priors.Levels ? priors.Frequencies(level) : default);
}
