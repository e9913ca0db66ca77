using TorchSharp;
using VqCodec.Codec.Models;
using VqCodec.Container;
using static TorchSharp.torch;

namespace VqCodec.Codec.Image;

/// <summary>
/// A loaded decoder-side restoration network for the images of one image model (spec/models.md): it
/// removes blocking and ringing of the detail layer and recovers texture. Immutable and thread-safe. Its
/// identity (id and SHA-256 of its file) is written into the files that ask for it (<c>rstr</c> chunk).
/// </summary>
public sealed class ImageRestorer : IDisposable
{
    private ImageRestorer(ImageRestorerNet network, ModelDescription description, byte[] hash)
    {
        Network = network;
        Description = description;
        Id = description.Id;
        Hash = hash;
        BaseModel = description.BaseModel ?? string.Empty;
    }

    /// <summary>Stable id.</summary>
    public string Id { get; }

    /// <summary>SHA-256 of the restorer file.</summary>
    public byte[] Hash { get; }

    /// <summary>Id of the image model whose decoded images it restores.</summary>
    public string BaseModel { get; }

    /// <summary>The file's description (architecture and training facts).</summary>
    public ModelDescription Description { get; }

    /// <summary>The identity written into files.</summary>
    public RestorationId Identity => new(Id, Hash);

    internal ImageRestorerNet Network { get; }

    /// <summary>Loads a restorer file (.vqm) from a stream (read to its end; not closed).</summary>
    /// <exception cref="VqcFormatException">Not a model file.</exception>
    /// <exception cref="ModelMismatchException">A model file of another kind.</exception>
    public static ImageRestorer Load(Stream stream)
    {
        (ModelBundle bundle, byte[] hash) = LoadedModel.ReadBundle(stream, "restorer", d => d.Restorer is not null && d.BaseModel is not null);
        var network = new ImageRestorerNet(bundle.Description.Restorer!);
        LoadedModel.LoadHalfState(network, bundle.State);
        network.eval();
        return new ImageRestorer(network, bundle.Description, hash);
    }

    /// <summary>Builds a restorer file from a training checkpoint's weights.</summary>
    internal static byte[] BundleFromCheckpoint(string weightsPath, RestorerConfig config, string id, string baseModel, Dictionary<string, string> training)
    {
        using var network = new ImageRestorerNet(config);
        network.load(weightsPath);
        return LoadedModel.SerializeHalf(network, new ModelDescription { Kind = "restorer", Id = id, Restorer = config, BaseModel = baseModel, Training = training }, null);
    }

    /// <summary>
    /// Restores <paramref name="decoded"/> (tokens + detail layer at luma step <paramref name="step"/>) in place,
    /// with <paramref name="baseImage"/> (the tokens alone) as side information, in tiles of
    /// <paramref name="tileSize"/> pixels with context wider than the receptive field.
    /// </summary>
    internal void Apply(RgbImage decoded, RgbImage baseImage, double step, int tileSize, CancellationToken cancellationToken, IProgress<ImageCodingProgress>? progress = null)
    {
        int w = decoded.Width, h = decoded.Height, margin = Network.Config.Margin;
        tileSize = Math.Max(64, tileSize / 8 * 8);
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var output = new byte[decoded.Pixels.Length];
        Tensor feature = torch.tensor(new[] { ImageRestorerNet.StepFeature(step) });
        (int tileY, int tileX, _) = ImageTiling.Tiles(h, w, tileSize, 8);
        tileY = StripRows(tileX, tileY, w, margin);
        int tiles = ImageTiling.TileCount(h, w, tileY, tileX);
        int done = 0;
        for (int ty = 0; ty < h; ty += tileY)
        {
            for (int tx = 0; tx < w; tx += tileX)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(new ImageCodingProgress("restoration", done++, tiles));
                using var tileScope = NewDisposeScope();
                int th = Math.Min(tileY, h - ty), tw = Math.Min(tileX, w - tx);

                // Context windows start on the 8-pixel block grid so the network sees block edges where they are.
                int y0 = Math.Max(0, ty - margin), x0 = Math.Max(0, tx - margin);
                int y1 = Math.Min(h, ty + th + margin), x1 = Math.Min(w, tx + tw + margin);
                int rh = (y1 - y0 + 1) / 2 * 2, rw = (x1 - x0 + 1) / 2 * 2;
                Tensor bytes = NativeCallGuard.Run(() =>
                {
                    Tensor restored = Network.forward(ImageTiling.Region(decoded, x0, y0, rw, rh), ImageTiling.Region(baseImage, x0, y0, rw, rh), feature);
                    Tensor part = restored[0, .., (ty - y0)..(ty - y0 + th), (tx - x0)..(tx - x0 + tw)];
                    return ImageTiling.ToBytes(part);
                });
                byte[] data = bytes.data<byte>().ToArray();
                for (int y = 0; y < th; y++)
                {
                    Array.Copy(data, y * tw * 3, output, (((ty + y) * w) + tx) * 3, tw * 3);
                }
            }
        }

        output.CopyTo(decoded.Pixels, 0);
        progress?.Report(new ImageCodingProgress("restoration", tiles, tiles));
    }

    /// <summary>
    /// Rows per tile, at most <paramref name="tileY"/>, such that a tile with its context fits <see cref="TileArea"/>
    /// pixels: the network's buffers then stay within one native heap of glibc's allocator, which a larger working set
    /// outgrows, mapping and unmapping a second heap on every call (design.md, "Native allocator").
    /// </summary>
    internal static int StripRows(int tileX, int tileY, int width, int margin)
    {
        int rows = ((TileArea / (Math.Min(tileX, width) + (2 * margin))) - (2 * margin)) / 8 * 8;
        return Math.Min(tileY, Math.Max(64, rows));
    }

    /// <summary>
    /// Pixels of a restored tile with its context at most (2^18: a 768×512 image restores in two strips, a 512-pixel tile
    /// of a large photo in 512 × 416 pieces, 1.22× the pixels computed against 1.20× before). BenchmarkDotNet's restorer
    /// stage on 768×512 (2026-12-07): 442 ms as one tile, 116–139 ms in strips with channels-last features.
    /// </summary>
    internal const int TileArea = 1 << 18;

    /// <summary>Releases the network's native memory.</summary>
    public void Dispose() => Network.Dispose();
}
