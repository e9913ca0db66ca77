using TorchSharp;
using static TorchSharp.torch;

namespace VqCodec.Codec.Models;

/// <summary>
/// Speech VQ-VAE for 16 kHz mono audio with a residual-VQ bottleneck at 50 token frames per second.
/// Encoder: complex STFT (log magnitude and magnitude-compressed real and imaginary parts) → conv →
/// dilated residual blocks → stride-2 conv → dilated residual blocks → 1×1 to the latent → per-channel
/// normalisation. Decoder: conv → dilated residual blocks → stride-2 transposed conv → dilated residual
/// blocks → log-magnitude and phase per STFT bin → inverse STFT (the synthesis of Vocos, Siuzdak 2023),
/// so every learned layer runs at 100 or 50 frames per second, which keeps training and inference cheap
/// on a CPU. Waveforms are [B, T] with T a multiple of <see cref="SpeechModelConfig.Hop"/>.
/// </summary>
internal sealed class SpeechVqVae : nn.Module
{
    private readonly TorchSharp.Modules.Conv1d enc_in;
    private readonly nn.Module<Tensor, Tensor> enc_fine;
    private readonly nn.Module<Tensor, Tensor> enc_down;
    private readonly nn.Module<Tensor, Tensor> enc_coarse;
    private readonly nn.Module<Tensor, Tensor> enc_out;
    private readonly nn.Module<Tensor, Tensor> enc_norm;
    private readonly nn.Module<Tensor, Tensor> dec_in;
    private readonly nn.Module<Tensor, Tensor> dec_coarse;
    private readonly nn.Module<Tensor, Tensor> dec_up;
    private readonly nn.Module<Tensor, Tensor> dec_fine;
    private readonly TorchSharp.Modules.Conv1d dec_out;
    private readonly ResidualVq rvq;

    public SpeechVqVae(SpeechModelConfig config)
        : base("SpeechVqVae")
    {
        config.Validate();
        Config = config;
        int bins = (config.StftSize / 2) + 1;
        int cf = config.FineWidth, cc = config.CoarseWidth;
        enc_in = nn.Conv1d(3 * bins, cf, 3, padding: 1);
        enc_fine = Stack("ef", cf, config.FineDilations);
        enc_down = nn.Conv1d(cf, cc, 4, stride: 2, padding: 1);
        enc_coarse = Stack("ec", cc, config.CoarseDilations);
        enc_out = nn.Conv1d(cc, config.LatentDim, 1);

        // Non-affine per-channel normalisation of the latent, as in the image model: it keeps the
        // commitment loss from shrinking the latent below the scale the residual levels can refine.
        enc_norm = nn.BatchNorm1d(config.LatentDim, affine: false);

        dec_in = nn.Conv1d(config.LatentDim, cc, 3, padding: 1);
        dec_coarse = Stack("dc", cc, config.CoarseDilations);
        dec_up = nn.ConvTranspose1d(cc, cf, 4, stride: 2, padding: 1);
        dec_fine = Stack("df", cf, config.FineDilations);
        dec_out = nn.Conv1d(cf, 2 * bins, 3, padding: 1);
        rvq = new ResidualVq("rvq", config.Levels, config.CodebookSize, config.LatentDim);
        RegisterComponents();
    }

    public SpeechModelConfig Config { get; }

    public ResidualVq Quantizer => rvq;

    private static nn.Module<Tensor, Tensor> Stack(string name, long c, int[] dilations)
    {
        var list = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int i = 0; i < dilations.Length; i++)
        {
            list.Add(($"{name}_{i}", new ResBlock($"{name}_{i}", c, 3, true, dilations[i])));
        }

        return list.Count == 0 ? nn.Identity() : nn.Sequential(list);
    }

    /// <summary>Waveform [B, T] (T a multiple of the hop) → latent [B, D, T / hop].</summary>
    public Tensor Encode(Tensor x)
    {
        using var scope = NewDisposeScope();
        long frames = x.shape[1] / Config.StftHop;
        Tensor window = torch.hann_window(Config.StftSize, periodic: true, device: x.device);
        Tensor spec = x.stft(Config.StftSize, Config.StftHop, window: window, center: true, return_complex: true);
        spec = spec[.., .., ..(int)frames];
        Tensor mag = spec.abs();
        Tensor logMag = torch.log(mag + 1e-5f) * 0.25f;
        Tensor scale = (mag + 1e-7f).pow(-0.7f);
        Tensor re = torch.real(spec) * scale;
        Tensor im = torch.imag(spec) * scale;
        Tensor h = ChannelAlignedConv.Forward(enc_in, torch.cat([logMag, re, im], 1));
        h = enc_fine.forward(h);
        h = enc_down.forward(Activation.LeakyRelu(h));
        h = enc_coarse.forward(h);
        h = enc_out.forward(Activation.LeakyRelu(h));
        return enc_norm.forward(h).MoveToOuterDisposeScope();
    }

    /// <summary>Latent [B, D, F] → waveform [B, F · hop].</summary>
    public Tensor Decode(Tensor z)
    {
        using var scope = NewDisposeScope();
        return Decode(z, null, 0).Waveform.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Latent [B, D, F] → waveform [B, F · hop] and the phase of every STFT frame [B, bins, 2F + 1]. With
    /// <see cref="SpeechModelConfig.CumulativePhase"/> and a <paramref name="anchorPhase"/> [B, bins], the running
    /// phase is offset so that STFT frame <paramref name="anchorFrame"/> has exactly that phase (windowed decoding
    /// carries it from one window to the next); otherwise the anchor is ignored.
    /// </summary>
    public (Tensor Waveform, Tensor Phase) Decode(Tensor z, Tensor? anchorPhase, long anchorFrame)
    {
        using var scope = NewDisposeScope();
        (Tensor mag, Tensor phase) = DecodeSpectrum(z, anchorPhase, anchorFrame);
        Tensor y = Synthesize(mag, phase, z.shape[2] * Config.Hop);
        return (y.MoveToOuterDisposeScope(), phase.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Latent [B, D, F] → the decoder's STFT magnitude and phase [B, bins, 2F + 1] (frame t centred on sample
    /// t · StftHop), before the inverse STFT; the phase as in <see cref="Decode(Tensor, Tensor?, long)"/>.
    /// </summary>
    public (Tensor Magnitude, Tensor Phase) DecodeSpectrum(Tensor z, Tensor? anchorPhase, long anchorFrame)
    {
        using var scope = NewDisposeScope();
        Tensor h = dec_in.forward(z);
        h = dec_coarse.forward(h);
        h = dec_up.forward(Activation.LeakyRelu(h));
        h = dec_fine.forward(h);
        h = ChannelAlignedConv.Forward(dec_out, Activation.LeakyRelu(h));

        // One more STFT frame than hops, so the centred inverse STFT covers every output sample.
        h = nn.functional.pad(h, [0, 1], PaddingModes.Replicate);
        Tensor[] parts = h.chunk(2, 1);
        Tensor mag = torch.exp(parts[0].clamp(max: 6f));
        Tensor phase = parts[1];
        if (Config.CumulativePhase)
        {
            long bins = phase.shape[1];
            // Each bin's centre-frequency advance per hop, reduced modulo 2π; the running sum in float64, so that
            // minutes of frames lose no precision, then wrapped to (−π, π].
            var advanceData = new double[bins];
            for (int k = 0; k < bins; k++)
            {
                advanceData[k] = Math.IEEERemainder(2 * Math.PI * k * Config.StftHop / Config.StftSize, 2 * Math.PI);
            }

            Tensor advance = torch.tensor(advanceData, [1, bins, 1]);
            Tensor running = (torch.tanh(phase).to_type(ScalarType.Float64).mul(Math.PI) + advance).cumsum(2);
            if (anchorPhase is not null)
            {
                running = running + (anchorPhase.to_type(ScalarType.Float64).unsqueeze(2) - running[.., .., (int)anchorFrame..((int)anchorFrame + 1)]);
            }

            phase = torch.atan2(torch.sin(running), torch.cos(running)).to_type(ScalarType.Float32);
        }

        return (mag.MoveToOuterDisposeScope(), phase.MoveToOuterDisposeScope());
    }

    /// <summary>Inverse STFT of magnitude and phase [B, bins, T] to <paramref name="length"/> samples [B, length].</summary>
    public Tensor Synthesize(Tensor magnitude, Tensor phase, long length)
    {
        using var scope = NewDisposeScope();
        Tensor spec = torch.complex(magnitude * torch.cos(phase), magnitude * torch.sin(phase));
        Tensor window = torch.hann_window(Config.StftSize, periodic: true, device: magnitude.device);
        return torch.istft(spec, Config.StftSize, Config.StftHop, window: window, center: true, length: length).MoveToOuterDisposeScope();
    }

    /// <summary>Zeroes the phase half of the output layer (a v2 model initialised from v1: δ starts at 0).</summary>
    public void ResetPhaseHead()
    {
        using var noGrad = torch.no_grad();
        var conv = dec_out;
        int bins = (Config.StftSize / 2) + 1;
        conv.weight![bins.., .., ..].zero_();
        conv.bias![bins..].zero_();
    }

    /// <summary>Latent [B, D, F] ↔ rows [B·F, D] (row-major over b, f).</summary>
    public static Tensor ToRows(Tensor z) => z.permute(0, 2, 1).reshape(-1, z.shape[1]);

    public static Tensor FromRows(Tensor rows, long b, long f) =>
        rows.reshape(b, f, rows.shape[1]).permute(0, 2, 1).contiguous();
}
