#:package Magick.NET-Q8-AnyCPU@15.1.0
#:property ManagePackageVersionsCentrally=false
#:property TreatWarningsAsErrors=false
// Makes samples/sample.png: a 768x512 synthetic "landscape" (seeded plasma fractals, gradients and shapes) so the README's first command runs on material the project made itself.
// Run from the repository root: dotnet run samples/make-samples.cs
using ImageMagick;
using ImageMagick.Drawing;

MagickNET.SetRandomSeed(20261123);
using var sky = new MagickImage("gradient:#5b8fd6-#e8eef7", 768, 300);
using var ground = new MagickImage("plasma:#3d6b2a-#a99a5b", 768, 212);
using var clouds = new MagickImage("plasma:grey70-white", 768, 300);
clouds.Blur(0, 6);
clouds.Evaluate(Channels.Alpha, EvaluateOperator.Set, 0.35 * Quantum.Max);
sky.Composite(clouds, CompositeOperator.Over);
using var image = new MagickImage(MagickColors.White, 768, 512);
image.Composite(sky, 0, 0);
image.Composite(ground, 0, 300);
new Drawables()
    .FillColor(new MagickColor("#6d5a4a")).Polygon(new PointD(80, 300), new PointD(260, 120), new PointD(430, 300))
    .FillColor(new MagickColor("#8a7a6a")).Polygon(new PointD(300, 300), new PointD(520, 90), new PointD(740, 300))
    .FillColor(new MagickColor("#f2f2f0")).Polygon(new PointD(482, 128), new PointD(520, 90), new PointD(560, 130), new PointD(530, 122))
    .FillColor(new MagickColor("#f6d04d")).Circle(650, 70, 690, 70)
    .FillColor(new MagickColor("#b5452f")).Rectangle(120, 360, 250, 450)
    .FillColor(new MagickColor("#7a2d20")).Polygon(new PointD(110, 360), new PointD(185, 310), new PointD(260, 360))
    .FillColor(new MagickColor("#3a3a48")).Rectangle(170, 400, 200, 450)
    .FillColor(new MagickColor("#9fd0f0")).Rectangle(135, 375, 160, 395)
    .FillColor(new MagickColor("#2f4f2f")).Ellipse(600, 420, 60, 45, 0, 360)
    .FillColor(new MagickColor("#4c3a28")).Rectangle(592, 440, 608, 500)
    .Draw(image);
image.Format = MagickFormat.Png;
image.Write("samples/sample.png");
Console.WriteLine($"wrote samples/sample.png {image.Width}x{image.Height}");
