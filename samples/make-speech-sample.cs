#:property ManagePackageVersionsCentrally=false
#:property TreatWarningsAsErrors=false
// Makes samples/sample.wav: 3.6 s of synthetic speech-like audio (16 kHz, 16-bit mono) made by a
// source-filter formant synthesiser: a glottal pulse train with a falling-rising pitch contour through
// three formant resonators per vowel, fricative noise bursts and pauses. Seeded, so the file is
// reproducible. Run from the repository root: dotnet run samples/make-speech-sample.cs
const int Rate = 16000;
var rng = new Random(20261123);
// (vowel formants F1, F2, F3 in Hz, duration s) or fricative (-1 = noise, -2 = silence).
(double F1, double F2, double F3, double Dur)[] plan =
[
    (-2, 0, 0, 0.20), (730, 1090, 2440, 0.30), (-1, 4500, 0, 0.12), (270, 2290, 3010, 0.28), (-2, 0, 0, 0.10),
    (530, 1840, 2480, 0.25), (300, 870, 2240, 0.30), (-1, 2500, 0, 0.14), (570, 840, 2410, 0.32), (-2, 0, 0, 0.15),
    (660, 1720, 2410, 0.26), (-1, 6000, 0, 0.10), (440, 1020, 2240, 0.34), (390, 1990, 2550, 0.30), (-2, 0, 0, 0.24),
];
var samples = new List<float>();
double phase = 0, t0 = 0;
double[] y1 = new double[3], y2 = new double[3];
foreach (var (f1, f2, f3, dur) in plan)
{
    int n = (int)(dur * Rate);
    for (int i = 0; i < n; i++)
    {
        double t = t0 + ((double)i / Rate);
        double env = Math.Min(1, Math.Min(i, n - i) / (0.03 * Rate));
        double v;
        if (f1 == -2)
        {
            v = 0.0005 * ((rng.NextDouble() * 2) - 1);
        }
        else if (f1 == -1)
        {
            // Fricative: white noise through one resonance at F2.
            double x = (rng.NextDouble() * 2) - 1;
            v = 0.15 * env * Resonate(x, f2, 900, 0);
        }
        else
        {
            double f0 = 125 + (20 * Math.Sin(2 * Math.PI * 0.4 * t)) - (15 * t);
            phase += f0 / Rate;
            double source = phase >= 1 ? 1 : 0;     // one glottal pulse per period
            phase -= Math.Floor(phase);
            source += 0.02 * ((rng.NextDouble() * 2) - 1);
            double s = Resonate(source, f1, 80, 0);
            s = Resonate(s, f2, 110, 1);
            s = Resonate(s, f3, 160, 2);
            v = 0.02 * env * s;
        }

        samples.Add((float)Math.Clamp(v, -0.95, 0.95));
    }

    t0 += dur;
}

double peak = samples.Max(Math.Abs);
using var f = File.Create("samples/sample.wav");
using var w = new BinaryWriter(f);
w.Write("RIFF"u8); w.Write(36 + (samples.Count * 2)); w.Write("WAVEfmt "u8); w.Write(16);
w.Write((short)1); w.Write((short)1); w.Write(Rate); w.Write(Rate * 2); w.Write((short)2); w.Write((short)16);
w.Write("data"u8); w.Write(samples.Count * 2);
foreach (float s in samples)
{
    w.Write((short)Math.Round(s / peak * 0.7 * 32767));
}

Console.WriteLine($"wrote samples/sample.wav ({samples.Count} samples, {samples.Count / (double)Rate:F2} s)");

// Two-pole resonator (centre frequency and bandwidth in Hz) with per-formant state.
double Resonate(double x, double freq, double bandwidth, int k)
{
    double r = Math.Exp(-Math.PI * bandwidth / Rate);
    double c = 2 * r * Math.Cos(2 * Math.PI * freq / Rate);
    double y = ((1 - r) * x) + (c * y1[k]) - (r * r * y2[k]);
    y2[k] = y1[k];
    y1[k] = y;
    return y;
}
