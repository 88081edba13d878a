using System.CommandLine;
using System.Text.Json;
using DrLlm.Engine.Model;
using DrLlm.Engine.Text;
using DrLlm.Routing.Evaluation;
using DrLlm.Tasks;

namespace DrLlm.Cli.Commands;

/// <summary><c>drllm eval</c>: accuracy and compute of a model on a task split, with the default or a given path.</summary>
public static class EvalCommands
{
    public static void Add(RootCommand root)
    {
        var task = new Option<string>("--task") { Description = "task name (drllm tasks list), e.g. arith, mcq, arc:FILE", Required = true };
        var file = new Option<string?>("--file") { Description = "data file for a file-based task" };
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "test", Description = "train, validation or test" };
        var n = new Option<int>("--n") { DefaultValueFactory = _ => 200, Description = "items to evaluate" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0, Description = "sampling seed" };
        var path = new Option<string?>("--path") { Description = "layer path for every item (default: every block once)" };
        var items = new Option<string?>("--items") { Description = "also write one JSON line per item (output, answer, correct) to this file" };
        var show = new Option<int>("--show") { DefaultValueFactory = _ => 0, Description = "print the first K questions with the model's answers to stderr" };
        var cmd = new Command("eval", "accuracy of a model on a task split; prints one JSON object")
            { EngineCommands.Model, task, file, split, n, seed, path, items, show, EngineCommands.Threads };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            if (r.GetValue(n) < 1) throw new ArgumentException("--n must be ≥ 1");
            var modelPath = r.GetValue(EngineCommands.Model)!;
            var source = TaskRegistry.Resolve(r.GetValue(task)!, r.GetValue(file));
            var sample = source.Sample(r.GetValue(split)!, r.GetValue(n), r.GetValue(seed));
            using var decoder = Decoder.Load(modelPath, r.GetValue(EngineCommands.Threads));
            var tokenizer = TokenizerLoader.Load(modelPath);
            var layerPath = r.GetValue(path) is { } p ? LayerPath.Parse(p, decoder.Config.NumLayers) : LayerPath.Default(decoder.Config.NumLayers);
            var report = new TaskEvaluator(decoder, tokenizer).Evaluate(source.Name, r.GetValue(split)!, sample, _ => layerPath);
            if (r.GetValue(items) is { } itemsFile)
                File.WriteAllLines(itemsFile, report.Items.Select(o => JsonSerializer.Serialize(new
                {
                    id = o.Id, level = o.Level, correct = o.Correct, answer = o.Answer, output = o.Output,
                })));
            foreach (var (item, o) in sample.Zip(report.Items).Take(r.GetValue(show)))
                Console.Error.WriteLine($"  {(o.Correct ? "right" : "WRONG")}  {DrLlm.Tasks.Prompts.TaskPrompts.Base(item).Replace("\n", " ")}{o.Output.TrimEnd()}   (gold {item.Gold})");
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                task = report.Task,
                split = report.Split,
                n = report.N,
                accuracy = Math.Round(report.Accuracy, 4),
                avg_layers = Math.Round(report.AvgLayers, 3),
                num_blocks = report.NumBlocks,
                path = layerPath.ToString(),
                seed = r.GetValue(seed),
                accuracy_by_level = report.AccuracyByLevel.ToDictionary(kv => kv.Key.ToString(), kv => Math.Round(kv.Value, 4)),
                wall_s = Math.Round(report.WallSeconds, 2),
            }));
            return 0;
        }));
        root.Subcommands.Add(cmd);
    }
}
