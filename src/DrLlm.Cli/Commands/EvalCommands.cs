using System.CommandLine;
using System.Text.Json;
using DrLlm.Engine.Model;
using DrLlm.Engine.Text;
using DrLlm.Routing.Evaluation;
using DrLlm.Tasks;
using DrLlm.Tasks.Prompts;

namespace DrLlm.Cli.Commands;

/// <summary>
/// <c>drllm eval</c>: accuracy and compute of a model on a task split, with the default or a given path. The metric is
/// accuracy (letter and math items) or, for span items (squadv2), exact match (printed as accuracy and exact_match) and
/// token F1.
/// </summary>
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
        var routers = new Option<string?>("--routers") { Description = "router checkpoint (drllm train-routers): routed run vs the default path on the same items" };
        var thresholds = new Option<string?>("--thresholds") { Description = "with --routers: also the accuracy-layers curve over these decision thresholds τ, e.g. 0,0.5,0.6,0.7,0.8,0.9,1" };
        var calibrate = new Option<double?>("--calibrate-max-drop") { Description = "with --thresholds: store in the checkpoint the τ that saves most layers while accuracy stays at most this many points below the default path's (calibrate on --split validation)" };
        var show = new Option<int>("--show") { DefaultValueFactory = _ => 0, Description = "print the first K questions with the model's answers to stderr" };
        var instruct = new Option<bool>("--instruct") { Description = "prompt as an instruct model: the task's chat messages rendered with the model's chat template (default: base-model text prompts)" };
        var cmd = new Command("eval", "accuracy of a model on a task split; prints one JSON object")
            { EngineCommands.Model, task, file, split, n, seed, path, routers, thresholds, calibrate, items, show, instruct, EngineCommands.Threads };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var modelPath = r.GetValue(EngineCommands.Model)!;
            var (source, sample) = Items(r, task, file, split, n, seed);
            using var decoder = Decoder.Load(modelPath, r.GetValue(EngineCommands.Threads));
            var evaluator = r.GetValue(instruct)
                ? new TaskEvaluator(decoder, TokenizerLoader.Load(modelPath), ModelKind.Instruct, ChatTemplate.Find(modelPath))
                : new TaskEvaluator(decoder, TokenizerLoader.Load(modelPath));
            var layerPath = r.GetValue(path) is { } p ? LayerPath.Parse(p, decoder.Config.NumLayers) : LayerPath.Default(decoder.Config.NumLayers);
            if (r.GetValue(routers) is { } routerDir)
            {
                if (r.GetValue(path) is not null) throw new ArgumentException("--path and --routers exclude each other: routers choose the path");
                var taus = r.GetValue(thresholds)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(t => double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= 1
                        ? v : throw new ArgumentException($"--thresholds: '{t}' is not a number in [0, 1]")).ToArray();
                if (r.GetValue(calibrate) is not null && taus is null) throw new ArgumentException("--calibrate-max-drop needs --thresholds (the τ values to choose from)");
                return Routed(evaluator, modelPath, routerDir, source.Name, r.GetValue(split)!, r.GetValue(seed), sample, r.GetValue(show), taus, r.GetValue(calibrate));
            }
            if (r.GetValue(thresholds) is not null) throw new ArgumentException("--thresholds needs --routers");
            var report = evaluator.Evaluate(source.Name, r.GetValue(split)!, sample, _ => layerPath);
            if (r.GetValue(items) is { } itemsFile)
                File.WriteAllLines(itemsFile, report.Items.Select(o => JsonSerializer.Serialize(new
                {
                    id = o.Id, level = o.Level, correct = o.Correct, f1 = o.F1, answer = o.Answer, output = o.Output,
                })));
            Show(evaluator, sample, report.Items, r.GetValue(show), withPath: false);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                task = report.Task,
                split = report.Split,
                n = report.N,
                metrics = report.F1 is null ? new[] { "accuracy" } : ["exact_match", "f1"],
                accuracy = Math.Round(report.Accuracy, 4),
                exact_match = report.F1 is null ? (double?)null : Math.Round(report.Accuracy, 4),
                f1 = report.F1 is { } f1 ? Math.Round(f1, 4) : (double?)null,
                avg_layers = Math.Round(report.AvgLayers, 3),
                num_blocks = report.NumBlocks,
                path = layerPath.ToString(),
                seed = r.GetValue(seed),
                prompts = evaluator.Kind == ModelKind.Instruct ? "instruct" : "base",
                accuracy_by_level = report.AccuracyByLevel.ToDictionary(kv => kv.Key.ToString(), kv => Math.Round(kv.Value, 4)),
                wall_s = Math.Round(report.WallSeconds, 2),
            }));
            return 0;
        }));
        root.Subcommands.Add(cmd);
        root.Subcommands.Add(SkipToleranceCommand(task, file, split, n, seed));
    }

    /// <summary>
    /// <c>drllm skip-tolerance</c>: of the items the default path answers right, the share still right with one block
    /// skipped (per block) and with two adjacent blocks skipped (per pair): how much room the model leaves to route.
    /// One JSON object on stdout, the table on stderr.
    /// </summary>
    private static Command SkipToleranceCommand(Option<string> task, Option<string?> file, Option<string> split, Option<int> n, Option<int> seed)
    {
        var cmd = new Command("skip-tolerance", "share of the default path's right answers that stay right with one block, or two adjacent blocks, skipped; prints one JSON object")
            { EngineCommands.Model, task, file, split, n, seed, EngineCommands.Threads };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var modelPath = r.GetValue(EngineCommands.Model)!;
            var (source, sample) = Items(r, task, file, split, n, seed);
            using var decoder = Decoder.Load(modelPath, r.GetValue(EngineCommands.Threads));
            var evaluator = new TaskEvaluator(decoder, TokenizerLoader.Load(modelPath));
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var t = SkipToleranceReport.Measure(evaluator, source.Name, r.GetValue(split)!, sample);
            static double? R(double? v) => v is { } x ? Math.Round(x, 4) : null;
            int layers = decoder.Config.NumLayers;
            Console.Error.WriteLine($"{source.Name} {r.GetValue(split)}, n = {t.Default.N}, seed {r.GetValue(seed)}: default path right on {t.Right} ({100 * t.Default.Accuracy:F1}%); " +
                "share of those still right with the block(s) skipped:");
            string Pct(double? v) => v is { } x ? $"{100 * x,5:F0}%" : "     -";
            Console.Error.WriteLine("  block      " + string.Concat(Enumerable.Range(0, layers).Select(l => $"{l,6}")) + "   overall");
            Console.Error.WriteLine("  skip l     " + string.Concat(t.SingleKept.Select(Pct)) + "   " + Pct(t.SingleOverall));
            if (t.PairKept.Length > 0)
                Console.Error.WriteLine("  skip l,l+1 " + string.Concat(t.PairKept.Select(Pct)) + "         " + Pct(t.PairOverall));
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                task = source.Name,
                split = r.GetValue(split),
                n = t.Default.N,
                seed = r.GetValue(seed),
                num_blocks = layers,
                default_accuracy = Math.Round(t.Default.Accuracy, 4),
                default_accuracy_by_level = t.Default.AccuracyByLevel.ToDictionary(kv => kv.Key.ToString(), kv => Math.Round(kv.Value, 4)),
                default_right = t.Right,
                single_skip_kept = R(t.SingleOverall),
                single_skip_kept_by_block = t.SingleKept.Select(R),
                pair_skip_kept = R(t.PairOverall),
                pair_skip_kept_by_first_block = t.PairKept.Select(R),
                wall_s = Math.Round(sw.Elapsed.TotalSeconds, 2),
            }));
            return 0;
        }));
        return cmd;
    }

    /// <summary>Prints the first <paramref name="count"/> questions with the model's answers to stderr.</summary>
    /// <summary>The task the options name and its first --n items of --split under --seed (eval and skip-tolerance).</summary>
    private static (ITaskSource Source, IReadOnlyList<TaskItem> Items) Items(ParseResult r, Option<string> task, Option<string?> file,
        Option<string> split, Option<int> n, Option<int> seed)
    {
        if (r.GetValue(n) < 1) throw new ArgumentException("--n must be ≥ 1");
        var source = TaskRegistry.Resolve(r.GetValue(task)!, r.GetValue(file));
        return (source, source.Sample(r.GetValue(split)!, r.GetValue(n), r.GetValue(seed)));
    }

    private static void Show(TaskEvaluator evaluator, IReadOnlyList<TaskItem> items, IReadOnlyList<ItemOutcome> outcomes, int count, bool withPath)
    {
        foreach (var (item, o) in items.Zip(outcomes).Take(count))
            Console.Error.WriteLine($"  {(o.Correct ? "right" : "WRONG")}  {(withPath ? $"path {string.Join(",", o.Path)}  " : "")}" +
                $"{evaluator.PromptText(item).Replace("\n", " ")}{o.Output.TrimEnd()}   (gold {item.Gold})");
    }

    /// <summary>
    /// Baseline (default path) and routed runs on the same items: accuracy, Δ, layers, actions, router overhead, at the
    /// checkpoint's τ. With <paramref name="thresholds"/>, also one routed run per τ (the accuracy-layers curve); with
    /// <paramref name="maxDropPoints"/>, the τ of that curve with the fewest layers whose accuracy is at most that many
    /// points below the baseline is stored in the checkpoint first, and the main run uses it.
    /// </summary>
    private static int Routed(TaskEvaluator evaluator, string modelPath, string routerDir, string task, string split,
        int seed, IReadOnlyList<TaskItem> sample, int show, double[]? thresholds, double? maxDropPoints)
    {
        var decoder = evaluator.Model;
        var c = decoder.Config;
        var (routerSet, _) = DrLlm.Routing.Routers.RouterCheckpoint.Load(routerDir, DrLlm.Routing.Routers.BaseModelIdentity.Of(modelPath, c));
        var baseline = evaluator.Evaluate(task, split, sample, _ => LayerPath.Default(c.NumLayers));

        (List<ItemOutcome> Outcomes, long[,] Actions, double RouterSeconds, double RoutedSeconds) RunAll(double threshold)
        {
            routerSet.DecisionThreshold = threshold;
            var actions = new long[c.NumLayers, 3];
            double routerSeconds = 0, routedSeconds = 0;
            var outcomes = new List<ItemOutcome>();
            using var session = decoder.CreateSession();
            foreach (var item in sample)
            {
                var (o, decisions, rs, ts) = evaluator.RunRouted(session, item, routerSet);
                outcomes.Add(o);
                for (int l = 0; l < c.NumLayers; l++) actions[l, decisions[l]]++;
                routerSeconds += rs;
                routedSeconds += ts;
            }
            return (outcomes, actions, routerSeconds, routedSeconds);
        }
        static double Accuracy(List<ItemOutcome> o) => o.Average(x => x.Correct ? 1.0 : 0.0);
        static double Layers(List<ItemOutcome> o) => o.Average(x => (double)x.Path.Length);

        double stored = routerSet.DecisionThreshold;
        var curve = thresholds?.Select(t =>
        {
            var run = RunAll(t).Outcomes;
            return new ThresholdPoint(t, Math.Round(Accuracy(run), 4), Math.Round(Layers(run), 3), Math.Round(baseline.AvgLayers - Layers(run), 3));
        }).ToList();
        if (maxDropPoints is { } drop)
        {
            var chosen = curve!.Where(p => p.Accuracy >= baseline.Accuracy - drop / 100 - 1e-9)
                .OrderBy(p => p.AvgLayers).ThenBy(p => p.Threshold).FirstOrDefault()
                ?? throw new ArgumentException($"no τ in --thresholds keeps accuracy within {drop} points of the default path's {baseline.Accuracy:P1} " +
                    $"(best: τ {curve!.MaxBy(p => p.Accuracy)!.Threshold} at {curve!.Max(p => p.Accuracy):P1}); add larger values (1 is the default path)");
            DrLlm.Routing.Routers.RouterCheckpoint.SetDecisionThreshold(routerDir, chosen.Threshold);
            Console.Error.WriteLine($"calibrated: τ {chosen.Threshold} stored in {routerDir} (was {stored}): accuracy {chosen.Accuracy:P1} vs default {baseline.Accuracy:P1}, {chosen.LayersSaved} layers saved");
            stored = chosen.Threshold;
        }

        var (outcomes, actions, routerSecondsTotal, routedSecondsTotal) = RunAll(stored);
        Show(evaluator, sample, outcomes, show, withPath: true);
        int n = outcomes.Count;
        var (f1, baselineF1) = (EvalReport.MeanF1(outcomes), baseline.F1);
        double acc = Accuracy(outcomes), layers = Layers(outcomes);
        var summary = new RoutedEvalSummary(task, split, n, seed,
            Accuracy: Math.Round(acc, 4),
            BaselineAccuracy: Math.Round(baseline.Accuracy, 4),
            Delta: Math.Round(acc - baseline.Accuracy, 4),
            AvgLayers: Math.Round(layers, 3),
            BaselineAvgLayers: Math.Round(baseline.AvgLayers, 3),
            LayersSaved: Math.Round(baseline.AvgLayers - layers, 3),
            NumBlocks: c.NumLayers,
            ActionFrequencies: Enumerable.Range(0, c.NumLayers).Select(l => new[] { 0, 1, 2 }.Select(a => Math.Round((double)actions[l, a] / n, 4)).ToArray()).ToArray(),
            RouterOverheadS: Math.Round(routerSecondsTotal, 4),
            RouterOverheadMsPerItem: Math.Round(routerSecondsTotal * 1e3 / n, 4),
            RoutedWallS: Math.Round(routedSecondsTotal, 3),
            BaselineWallS: Math.Round(baseline.WallSeconds, 3),
            F1: f1 is { } f ? Math.Round(f, 4) : null,
            BaselineF1: baselineF1 is { } b ? Math.Round(b, 4) : null,
            DecisionThreshold: stored,
            ThresholdCurve: curve);
        Console.WriteLine(JsonSerializer.Serialize(summary, RoutedEvalSummary.Json));
        return 0;
    }
}
