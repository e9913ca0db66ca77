using VqCodec.Codec.Image;
using VqCodec.Codec.Speech;

namespace VqCodec.Codec.Tests;

/// <summary>
/// Verbatim copies of the README's C# blocks (between the readme markers), compiled with the tests so that the
/// README cannot drift from the API; <see cref="ReadmeTests"/> checks that every README block is here, line for line.
/// The methods are never run (they would write files in the working folder); compiling is the check.
/// </summary>
internal static class ReadmeSnippets
{
    public static void ImageLibrary(int width, int height, byte[] rgbBytes, CancellationToken ct)
    {
        // readme-begin
        ImageModel model = ImageModel.LoadPretrained();          // shared, immutable, thread-safe (with its restorer)
        var image = new RgbImage(width, height, rgbBytes);       // interleaved 8-bit RGB
        using (var file = File.Create("out.vqc"))
            ImageCodec.Encode(model, image, file, new ImageEncodeOptions { TargetBitsPerPixel = 0.3 }, ct);
        RgbImage decoded = ImageCodec.Decode(model, File.OpenRead("out.vqc"), cancellationToken: ct);
        // Limits for untrusted files (checked from the header, before any token or pixel buffer exists):
        RgbImage small = ImageCodec.Decode(model, File.OpenRead("out.vqc"), new ImageDecodeOptions { MaxPixels = 1 << 22 }, ct);
        // readme-end
        GC.KeepAlive(decoded);
        GC.KeepAlive(small);
    }

    public static void SpeechLibrary(float[] pcm, int sampleRate, Stream file, Stream output, long totalSamples, IEnumerable<float[]> blocks, byte[] receivedBytes)
    {
        // readme-begin
        SpeechModel speech = SpeechModel.LoadPretrained();
        SpeechCodec.Encode(speech, pcm, sampleRate, file, new SpeechEncodeOptions { TargetKbps = 3.2 });
        (float[] pcm16k, int rate) = SpeechCodec.Decode(speech, File.OpenRead("talk.vqc"));

        // Push PCM in, container bytes come out segment by segment (the source length goes in the header):
        using (var enc = new SpeechEncoder(speech, output, new SpeechSource(48000, totalSamples), new SpeechEncodeOptions { Levels = 6 }))
        {
            foreach (float[] block in blocks) enc.Write(block);
            enc.Complete();
        }

        // And back: push container bytes as they arrive, PCM comes out as soon as segments are complete.
        var dec = new SpeechDecoder(speech);
        var pcmOut = new List<float>();
        dec.Push(receivedBytes, pcmOut);   // repeat per network packet
        dec.Finish(pcmOut);
        // Or pull from a stream, with seeking: new SpeechDecoder(speech, stream).SeekToSegment(s); Read(span)
        // readme-end
        GC.KeepAlive(pcm16k);
        GC.KeepAlive(rate);
    }
}
