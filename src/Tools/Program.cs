using System.CommandLine;
using VqCodec.Tools;
using VqCodec.Tools.Commands;

var root = new RootCommand("vqc: neural vector-quantized image and speech codec with a .vqc token container.")
{
    DemoCommand.Create(),
    EncodeCommand.Create(),
    DecodeCommand.Create(),
    InfoCommand.Create(),
    VerifyCommand.Create(),
    TokensCommand.Create(),
    GenerateCommand.Create(),
    TruncateCommand.Create(),
    BenchCommand.Create(),
    TrainCommand.Create(),
    ModelCommand.Create(),
};
return await Cli.RunAsync(root, args);
