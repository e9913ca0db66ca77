using SixLabors.ImageSharp;
using VqCodec.Codec.Image;
using VqCodec.ImageSharp;

// dotnet run --project samples/imagesharp -- samples/sample.png out.vqc out.png
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: ImageSharpApp INPUT-IMAGE OUTPUT.vqc DECODED.png");
    return 2;
}

Configuration.Default.Configure(new VqcConfigurationModule());
using (Image image = Image.Load(args[0]))
{
    image.Save(args[1], new VqcEncoder { Options = new ImageEncodeOptions { TargetBitsPerPixel = 0.3 } });
    Console.WriteLine($"{args[0]} ({image.Width}x{image.Height}) -> {args[1]}: {new FileInfo(args[1]).Length} bytes");
}

using (Image back = Image.Load(args[1]))
{
    back.Save(args[2]);
    Console.WriteLine($"{args[1]} -> {args[2]}: {back.Width}x{back.Height}");
}

return 0;
