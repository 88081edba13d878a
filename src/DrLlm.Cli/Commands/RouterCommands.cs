using System.CommandLine;
using System.Text.Json;
using DrLlm.Engine.Model;
using DrLlm.Engine.Text;
using DrLlm.Routing.Routers;
using DrLlm.Routing.Search;

namespace DrLlm.Cli.Commands;

/// <summary><c>drllm train-routers</c>: per-block routers trained on a search label file (METHOD.md, "Routers").</summary>
public static class RouterCommands
{
    public static void Add(RootCommand root)
    {
        var labels = new Option<string>("--labels") { Description = "JSON lines written by drllm search (examples without a label are left out)", Required = true };
        var outDir = new Option<string>("--out") { Description = "router checkpoint directory (routers.safetensors, routers.json, trainer state)", Required = true };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => new RouterTrainingOptions().Epochs };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var resume = new Option<bool>("--resume") { Description = "continue from the trainer state in --out" };
        var maxFixShare = new Option<double?>("--max-fix-share") { Description = "leave out wrong→right fixes beyond this share of the labelled examples (the reference code's cap is 0.3; default: no cap)" };
        var beta = new Option<double>("--class-balance-beta")
        {
            DefaultValueFactory = _ => FocalLoss.DefaultBeta,
            Description = "β of the effective-number class weights, in (0, 1): 0.999 is the paper's; near 0 weights the classes alike, as the reference code's hard-coded weights nearly do",
        };
        var rawInputs = new Option<bool>("--raw-inputs") { Description = "feed the routers the raw residual stream as the reference does (default: scaled per block to RMS 1 on the training split)" };
        var cmd = new Command("train-routers", "train the per-block routers on search labels with teacher forcing")
            { EngineCommands.Model, labels, outDir, epochs, seed, resume, maxFixShare, beta, rawInputs, EngineCommands.Threads };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var modelPath = r.GetValue(EngineCommands.Model)!;
            var dir = r.GetValue(outDir)!;
            // A router set or a training in progress is stored work: only --resume may continue it, nothing replaces it.
            if (!r.GetValue(resume))
                foreach (var existing in new[] { RouterCheckpoint.MetadataFile, RouterCheckpoint.WeightsFile, RouterTrainer.StateFile, RouterTrainer.StateWeightsFile })
                    if (File.Exists(Path.Combine(dir, existing)))
                        throw new ArgumentException($"{Path.Combine(dir, existing)} exists: pass --resume to continue that training, or choose another --out");
            using var decoder = Decoder.Load(modelPath, r.GetValue(EngineCommands.Threads));
            var tokenizer = TokenizerLoader.Load(modelPath);
            var examples = ReadExamples(r.GetValue(labels)!, tokenizer, decoder.Config.NumLayers, r.GetValue(maxFixShare));
            if (examples.Count < 2) throw new ArgumentException($"{r.GetValue(labels)}: {examples.Count} labelled examples; at least 2 are needed (one to validate)");
            double b = r.GetValue(beta);
            if (!(b > 0 && b < 1)) throw new ArgumentException($"--class-balance-beta must be in (0, 1), got {b.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            var options = new RouterTrainingOptions { Epochs = r.GetValue(epochs), Seed = (ulong)r.GetValue(seed), ScaleInputs = !r.GetValue(rawInputs), ClassBalanceBeta = b };
            var identity = BaseModelIdentity.Of(modelPath, decoder.Config);
            if (r.GetValue(resume)) RouterTrainer.CheckResumable(dir, options, examples.Count, identity, RouterTrainer.Fingerprint(examples)); // before the long feature pass

            using var session = decoder.CreateSession();
            var features = RouterFeatures.Compute(session, examples, options.Windows,
                (done, total) => { if (done == total || done % 100 == 0) Console.Error.WriteLine($"features {done}/{total}"); });
            var trainer = new RouterTrainer(features, options);
            var result = trainer.Train(stateDir: dir, resume: r.GetValue(resume), baseModel: identity, progress: p =>
            {
                if (p.Step == p.TotalSteps || p.Step % 50 == 0)
                    Console.Error.WriteLine($"epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.TotalSteps} lr {p.LearningRate:E2} loss {p.Loss:F4} " +
                        $"train class acc {ClassAccuracy(p.ClassAccuracy)}");
            }, epochDone: e => Console.Error.WriteLine(
                $"epoch {e.Epoch}: train loss {e.TrainLoss:F4}, validation loss {e.ValidationLoss:F4}, block accuracy {e.ValidationAccuracy:P1}, " +
                $"macro-F1 {e.ValidationMacroF1:F3}, class acc {ClassAccuracy(e.ValidationClassAccuracy)}"));
            var c = decoder.Config;
            RouterCheckpoint.Save(dir, result.Routers, new RouterMetadata(identity, c.HiddenSize,
                c.NumLayers, options.Hidden, options.Windows, result.ClassWeights, result.TrainClassCounts, options, result.History));
            var last = result.History[^1];
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                examples = examples.Count,
                train_examples = result.TrainExamples,
                validation_examples = result.ValidationExamples,
                train_label_counts = new { skip = result.TrainClassCounts[0], execute = result.TrainClassCounts[1], repeat = result.TrainClassCounts[2] },
                class_weights = result.ClassWeights.Select(w => Math.Round(w, 4)),
                input_scales = result.Routers.InputScales.Select(s => (double)s),
                epochs = result.History.Count,
                steps = result.Steps,
                validation_block_accuracy = Math.Round(last.ValidationAccuracy, 4),
                validation_macro_f1 = Math.Round(last.ValidationMacroF1, 4),
                out_dir = dir,
            }));
            return 0;
        }));
        root.Subcommands.Add(cmd);
        root.Subcommands.Add(ReportCommand());
        root.Subcommands.Add(AgreementCommand());
    }

    /// <summary><c>drllm label-agreement</c>: how far two searches of the same items agree on their labels (issue 14).</summary>
    private static Command AgreementCommand()
    {
        var first = new Argument<string>("A") { Description = "a label file (drllm search --out)" };
        var second = new Argument<string>("B") { Description = "a label file of the same items searched again, e.g. with another --search-seed" };
        var cmd = new Command("label-agreement", "identical-path share and per-block agreement of two label files, matched by example id")
            { first, second };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var a = LabelAgreement.Compute([.. ReadSearchResults(r.GetValue(first)!)], [.. ReadSearchResults(r.GetValue(second)!)]);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                examples = a.Examples,
                kept_in_both = a.KeptInBoth,
                kept_in_one = a.KeptInOne,
                identical_path_share = Math.Round(a.IdenticalPathShare, 4),
                block_agreement = Math.Round(a.BlockAgreement, 4),
                block_agreement_by_block = a.BlockAgreementByBlock.Select(x => Math.Round(x, 4)),
            }));
            return 0;
        }));
        return cmd;
    }

    /// <summary><c>drllm router-report</c>: the Markdown tables of deploy/router-report.sh from the files the pipeline wrote.</summary>
    private static Command ReportCommand()
    {
        var routers = new Option<string>("--routers") { Description = "router checkpoint directory (its routers.json holds the training metrics)", Required = true };
        var evals = new Option<string[]>("--eval") { Description = "JSON printed by drllm eval --routers, one file per task (repeat the option)", Required = true, AllowMultipleArgumentsPerToken = true };
        var labels = new Option<string[]>("--labels") { Description = "search label files (drllm search --out), for the label statistics per family", AllowMultipleArgumentsPerToken = true };
        var outFile = new Option<string?>("--out") { Description = "also write the report to this file" };
        var cmd = new Command("router-report", "Markdown tables (paper Table 3 shape) from a router checkpoint, routed evaluations and search labels")
            { routers, evals, labels, outFile };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var (_, meta) = RouterCheckpoint.Load(r.GetValue(routers)!);
            var summaries = r.GetValue(evals)!.Select(DrLlm.Routing.Evaluation.RoutedEvalSummary.Read).ToList();
            foreach (var (e, file) in summaries.Zip(r.GetValue(evals)!))
                if (e.NumBlocks != meta.NumBlocks)
                    throw new ArgumentException($"{file}: an evaluation of a {e.NumBlocks}-block model; the routers are for {meta.NumBlocks} blocks");
            var stats = (r.GetValue(labels) ?? []).SelectMany(f => SearchResultLines.Read(f, meta.NumBlocks).Select(x => x.Result))
                .GroupBy(e => e.Task)
                .Select(g => (g.Key, LabelStatistics.Compute(g.Select(e => e.AsSearchResult()), meta.NumBlocks)))
                .ToList();
            var markdown = DrLlm.Routing.Evaluation.RouterReport.Markdown(meta, summaries, stats);
            Console.Write(markdown);
            if (r.GetValue(outFile) is { } f) File.WriteAllText(f, markdown);
            return 0;
        }));
        return cmd;
    }

    /// <summary>
    /// The search result lines of a file given without its model: the block count is that of the first line with labels,
    /// and every line is checked against it (SearchResultLines), so two files of different models cannot be compared.
    /// </summary>
    private static IEnumerable<ExampleSearchResult> ReadSearchResults(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"{file}: no such search result file");
        int blocks = 0;
        foreach (var line in File.ReadLines(file))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                if (System.Text.Json.Nodes.JsonNode.Parse(line) is System.Text.Json.Nodes.JsonObject o && o["labels"] is System.Text.Json.Nodes.JsonArray a)
                { blocks = a.Count; break; }
            }
            catch (JsonException) { break; } // SearchResultLines names the line
        }
        return SearchResultLines.Read(file, Math.Max(blocks, 1)).Select(x => x.Result);
    }

    /// <summary>Recall per class as "skip 62% exec 67% repeat n/a" (n/a: no label of that class).</summary>
    private static string ClassAccuracy(double[] recall) =>
        string.Join(" ", new[] { "skip", "exec", "repeat" }.Select((name, c) => $"{name} {(double.IsNaN(recall[c]) ? "n/a" : $"{recall[c] * 100:F0}%")}"));

    /// <summary>
    /// Label lines → router examples; the prompt text is encoded with the model's tokenizer as evaluation does. With
    /// <paramref name="maxFixShare"/>, wrong→right fixes beyond that share of the kept examples are left out (<see cref="FixCap"/>).
    /// </summary>
    private static List<RouterExample> ReadExamples(string file, ITokenizer tokenizer, int numBlocks, double? maxFixShare)
    {
        var labelled = new List<ExampleSearchResult>();
        foreach (var (lineNo, e) in SearchResultLines.Read(file, numBlocks)) // checks fields, the path and its labels
        {
            if (e.Labels is null) continue;
            if (string.IsNullOrEmpty(e.Prompt)) throw new FormatException($"{file}:{lineNo}: 'prompt' is missing (written by an older drllm search?)");
            labelled.Add(e);
        }
        if (maxFixShare is { } share) labelled = FixCap.Apply(labelled, share);
        return [.. labelled.Select(e => new RouterExample(e.Id, tokenizer.Encode(e.Prompt), e.Labels!))];
    }
}
