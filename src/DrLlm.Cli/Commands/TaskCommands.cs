using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using DrLlm.Tasks;
using DrLlm.Tasks.Loading;
using DrLlm.Tasks.Prompts;

namespace DrLlm.Cli.Commands;

/// <summary><c>drllm tasks list</c> and <c>drllm tasks sample</c>: the task families and their items as JSON lines.</summary>
public static class TaskCommands
{
    // Relaxed escaping keeps prompts readable ("12+7*3", "\boxed{}") while still producing valid JSON.
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Add(RootCommand root)
    {
        var tasks = new Command("tasks", "task families: synthetic generators and benchmark files");
        tasks.Subcommands.Add(ListCommand());
        tasks.Subcommands.Add(SampleCommand());
        root.Subcommands.Add(tasks);
    }

    private static Command ListCommand()
    {
        var json = new Option<bool>("--json") { Description = "one JSON object per family instead of a table" };
        var cmd = new Command("list", "list task families: name, in/out of domain, grading, levels, description") { json };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var families = TaskRegistry.Families;
            if (r.GetValue(json))
            {
                foreach (var f in families)
                    Console.WriteLine(JsonSerializer.Serialize(new
                    {
                        name = f.Name, domain = f.InDomain ? "in" : "out", grading = GradingName(f.Grading),
                        min_level = f.MinLevel, max_level = f.MaxLevel, needs_file = f.NeedsFile, description = f.Description,
                    }, Json));
                return 0;
            }
            Console.WriteLine($"{"name",-16} {"domain",-6} {"grading",-7} {"levels",-6} description");
            foreach (var f in families)
            {
                var levels = f.MinLevel is { } lo ? $"{lo}-{f.MaxLevel}" : "-";
                Console.WriteLine($"{(f.NeedsFile ? f.Name + ":F" : f.Name),-16} {(f.InDomain ? "in" : "out"),-6} {GradingName(f.Grading),-7} {levels,-6} {f.Description}");
            }
            return 0;
        }));
        return cmd;
    }

    private static Command SampleCommand()
    {
        var task = new Option<string>("--task") { Description = "a synthetic family (arith, mcq, ood-count, ood-order) or arc:FILE, dart:FILE, gsm8k:FILE, mmlu:FILE, aime:FILE, truthfulqa-mc1:FILE, squadv2:FILE, gpqa:FILE, piqa:FILE, agieval:FILE, generic:FILE?question=…&answer=…", Required = true };
        var file = new Option<string?>("--file") { Description = "the data file, when the task name does not include it" };
        var split = new Option<string>("--split") { Description = "train, validation or test (for a file: the split it holds)", DefaultValueFactory = _ => "test" };
        var n = new Option<int>("--n") { Description = "how many items", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { Description = "generator seed (synthetic) or sampling seed (files)", DefaultValueFactory = _ => 0 };
        var level = new Option<string?>("--level") { Description = "synthetic families: only this difficulty level, or levels MIN-MAX drawn evenly (default: all levels drawn evenly)" };
        var skip = new Option<bool>("--skip-bad-rows") { Description = "skip rows that do not parse (counted on stderr) instead of failing" };
        var cmd = new Command("sample", "print items as JSON lines: id, task, split, level, prompt, completion, choices, gold, answers (spans), grading, source")
            { task, file, split, n, seed, level, skip };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            if (r.GetValue(n) < 0) throw new ArgumentException($"--n must be ≥ 0, got {r.GetValue(n)}");
            var options = new LoadOptions { Split = r.GetValue(split)!, SkipBadRows = r.GetValue(skip) };
            var source = TaskRegistry.Resolve(r.GetValue(task)!, r.GetValue(file), options);
            IReadOnlyList<TaskItem> items;
            if (r.GetValue(level) is { } lv)
            {
                var family = TaskRegistry.FindSynthetic(source.Name) ?? throw new ArgumentException($"--level applies to synthetic families only, not '{r.GetValue(task)}'");
                var (lo, hi) = family.ParseLevels(lv) ?? throw new ArgumentException($"--level: expected a level or MIN-MAX, got '{lv}'");
                items = [.. family.Items(r.GetValue(split)!, r.GetValue(seed), lo, hi).Take(r.GetValue(n))];
            }
            else items = source.Sample(r.GetValue(split)!, r.GetValue(n), r.GetValue(seed));
            foreach (var item in items)
            {
                var (prompt, completion) = TaskPrompts.TrainingText(item);
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    id = item.Id, task = item.Task, split = item.Split, level = item.Level, prompt, completion,
                    choices = item.Choices, gold = item.Gold, answers = item.Answers, grading = GradingName(item.Grading), source = item.Source,
                    new_tokens = TaskPrompts.NewTokenBudget(item, ModelKind.Base),
                }, Json));
            }
            if (source is TaskRegistry.FileSource { Loaded.SkipSummary: { } summary }) Console.Error.WriteLine(summary);
            return 0;
        }));
        return cmd;
    }

    private static string GradingName(Grading? g) => g switch
    {
        Grading.MultipleChoiceLetter => "letter", Grading.MathAnswer => "math", Grading.ExtractiveSpan => "span", _ => "either",
    };
}
