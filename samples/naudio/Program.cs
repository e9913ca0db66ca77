using NAudio.Wave;
using VqCodec.Codec.Speech;
using VqCodec.NAudio;

// dotnet run --project samples/naudio -- samples/sample.wav out.vqc out.wav
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: NAudioApp INPUT.wav OUTPUT.vqc DECODED.wav");
    return 2;
}

SpeechModel model = SpeechModel.LoadPretrained();
using (var wav = new WaveFileReader(args[0]))
using (var vqc = File.Create(args[1]))
{
    SpeechEncodeResult r = VqcSpeechWriter.Encode(wav.ToSampleProvider(), model, vqc, new SpeechEncodeOptions { TargetKbps = 3.2 });
    Console.WriteLine($"{args[0]} -> {args[1]}: {r.Bytes} bytes, {r.Kbps:F2} kbps, {r.Levels} levels");
}

using (var reader = new VqcSpeechReader(model, File.OpenRead(args[1])))
{
    WaveFileWriter.CreateWaveFile16(args[2], reader);
    Console.WriteLine($"{args[1]} -> {args[2]}: {reader.TotalTime.TotalSeconds:F2} s at {reader.WaveFormat.SampleRate} Hz");
}

return 0;
