using System.CommandLine;
using VqCodec.Tools;
using VqCodec.Tools.Commands;

var root = new RootCommand("vqc: neural vector-quantized image and speech codec with a .vqc token container.")
{
    TrainCommand.Create(),
};
return await Cli.RunAsync(root, args);
