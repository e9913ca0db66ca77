using VqCodec.Codec.Image;
using VqCodec.Codec.Metrics;
using VqCodec.Codec.Speech;
using VqCodec.Container;

// An image: a smooth synthetic picture, encoded at 0.3 bpp and decoded.
const int w = 192, h = 128;
var pixels = new byte[w * h * 3];
for (int y = 0; y < h; y++)
{
    for (int x = 0; x < w; x++)
    {
        int i = ((y * w) + x) * 3;
        pixels[i] = (byte)(x * 255 / w);
        pixels[i + 1] = (byte)(y * 255 / h);
        pixels[i + 2] = (byte)(128 + (64 * Math.Sin(x / 9.0) * Math.Cos(y / 7.0)));
    }
}

var image = new RgbImage(w, h, pixels);
ImageModel model = ImageModel.LoadPretrained();
var file = new MemoryStream();
ImageCodec.Encode(model, image, file, new ImageEncodeOptions { TargetBitsPerPixel = 0.3 });
RgbImage back = ImageCodec.Decode(model, new MemoryStream(file.ToArray()));
double psnr = ImageMetrics.Psnr(image, back);
Console.WriteLine($"image: {file.Length} bytes, {VqcProbe.ReadHeader(file.ToArray()).Header.Levels.Length} levels, PSNR {psnr:F2} dB");

// Speech: two seconds of a gliding harmonic tone at 16 kHz, encoded at 3.2 kbps and decoded.
var pcm = new float[32000];
double phase = 0;
for (int i = 0; i < pcm.Length; i++)
{
    phase += 2 * Math.PI * (120 + (40 * i / (double)pcm.Length)) / 16000;
    pcm[i] = (float)(0.2 * (Math.Sin(phase) + (0.5 * Math.Sin(2 * phase)) + (0.25 * Math.Sin(3 * phase))));
}

SpeechModel speech = SpeechModel.LoadPretrained();
var talk = new MemoryStream();
SpeechCodec.Encode(speech, pcm, 16000, talk, new SpeechEncodeOptions { TargetKbps = 3.2 });
talk.Position = 0;
(float[] decoded, int rate) = SpeechCodec.Decode(speech, talk);
Console.WriteLine($"speech: {talk.Length} bytes, {decoded.Length} samples at {rate} Hz");
bool ok = psnr > 20 && decoded.Length == pcm.Length && rate == 16000;
Console.WriteLine(ok ? "consumer ok" : "consumer FAILED");
return ok ? 0 : 1;
