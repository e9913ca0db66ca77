namespace VqCodec.Codec.Image;

/// <summary>
/// Progress of an image encode or decode (<see cref="ImageEncodeOptions.Progress"/>,
/// <see cref="ImageDecodeOptions.Progress"/>): the stage running and how many of its units (tiles or block rows)
/// are done. A stage may run more than once (the rate search codes the detail layer at several steps).
/// </summary>
/// <param name="Stage">"encoder", "decoder", "detail layer" or "restoration".</param>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in the stage.</param>
public readonly record struct ImageCodingProgress(string Stage, int Done, int Total);
