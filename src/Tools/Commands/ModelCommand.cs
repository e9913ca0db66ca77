using System.CommandLine;
using VqCodec.Codec.Image;
using VqCodec.Codec.Speech;
using VqCodec.Codec.Training;
using VqCodec.Tools.IO;

namespace VqCodec.Tools.Commands;

/// <summary>`vqc model export`: turns a training checkpoint into a shipped .vqm (with token priors from the training data).</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var command = new Command("model", "Model files.");
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint folder (runs/NAME/checkpoint).", Required = true };
        var data = new Option<string?>("--data") { Description = "Training data used to estimate the token priors (default ../shared/data/images/train or ../shared/data/speech/train)." };
        var id = new Option<string?>("--id") { Description = $"Model id (default {ImageModel.PretrainedId} or {SpeechModel.PretrainedId})." };
        var output = new Option<string>("--output", "-o") { Description = "Output .vqm file.", Required = true };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite an existing output." };
        var kind = new Argument<string>("kind") { Description = "image, speech, restore (the image model's restoration network), prior (the speech model with a learned token prior attached) or image-prior (the image model's companion priors file, .vqpr: its token tables plus a learned grid prior)." };
        kind.AcceptOnlyFromAmong("image", "speech", "restore", "prior", "image-prior");
        var model = new Option<string?>("--model") { Description = "prior, image-prior: the model file the prior was trained on (default: the embedded one)." };
        var export = new Command("export", "Export a checkpoint as a model file.") { kind, checkpoint, data, id, output, force, model };
        export.SetAction((parse, token) =>
        {
            string outPath = parse.GetValue(output)!;
            OutputFile.Check(outPath, parse.GetValue(force));
            if (parse.GetValue(kind) == "restore")
            {
                string restoreId = parse.GetValue(id) ?? ImageModel.PretrainedRestorerId;
                byte[] restorer = RestorerTrainer.Export(parse.GetValue(checkpoint)!, restoreId, new Dictionary<string, string> { ["checkpoint"] = parse.GetValue(checkpoint)! });
                OutputFile.WriteBytes(outPath, parse.GetValue(force), restorer);
                Console.Error.WriteLine($"wrote {outPath} ({restorer.Length} bytes, sha256 {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(restorer)).ToLowerInvariant()})");
                return Task.FromResult(ExitCodes.Success);
            }

            if (parse.GetValue(kind) is "prior" or "image-prior")
            {
                string? modelPath = parse.GetValue(model);
                if (modelPath is not null && !File.Exists(modelPath))
                {
                    throw new CliException($"{modelPath}: no such model file", ExitCodes.IoError);
                }

                using Stream? modelFile = modelPath is null ? null : File.OpenRead(modelPath);
                byte[] withPrior = parse.GetValue(kind) == "prior"
                    ? PriorTrainer.AttachToModel(modelFile, parse.GetValue(checkpoint)!, parse.GetValue(id))
                    : PriorTrainer.CompanionPriors(modelFile, parse.GetValue(checkpoint)!);
                OutputFile.WriteBytes(outPath, parse.GetValue(force), withPrior);
                Console.Error.WriteLine($"wrote {outPath} ({withPrior.Length} bytes, sha256 {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(withPrior)).ToLowerInvariant()})");
                return Task.FromResult(ExitCodes.Success);
            }

            bool speech = parse.GetValue(kind) == "speech";
            string dir = InputFiles.RequireFolder(parse.GetValue(data) ?? (speech ? "../shared/data/speech/train" : "../shared/data/images/train"), "training data");
            string modelId = parse.GetValue(id) ?? (speech ? SpeechModel.PretrainedId : ImageModel.PretrainedId);
            var log = new ConsoleProgress("priors");
            byte[] bundle;
            if (speech)
            {
                bundle = SpeechVerbs.Export(parse.GetValue(checkpoint)!, dir, modelId, log, token);
            }
            else
            {
                var images = InputFiles.Expand([dir], ImageFiles.Extensions).Select(ImageFiles.Load).ToList();
                var facts = new Dictionary<string, string> { ["data"] = dir, ["checkpoint"] = parse.GetValue(checkpoint)! };
                bundle = ImageModelExporter.Export(parse.GetValue(checkpoint)!, images, modelId, facts, new SyncProgress<TrainingProgress>(p => log.Update(p.Step, p.TotalSteps)), token);
            }

            OutputFile.WriteBytes(outPath, parse.GetValue(force), bundle);
            Console.Error.WriteLine($"wrote {outPath} ({bundle.Length} bytes, sha256 {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bundle)).ToLowerInvariant()})");
            return Task.FromResult(ExitCodes.Success);
        });
        command.Add(export);
        return command;
    }
}
