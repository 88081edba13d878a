using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using DrLlm.Engine.Model;
using DrLlm.Engine.Text;
using DrLlm.Routing.Evaluation;
using DrLlm.Routing.Search;
using DrLlm.Tasks;

namespace DrLlm.Cli.Commands;

/// <summary>
/// <c>drllm search</c>: per-example length-aware MCTS over a task split, one JSON line per example, a summary at the end.
/// With <c>--state DIR</c> the example in progress is checkpointed every few simulations; after a kill, <c>--resume</c>
/// skips the examples already in the output file and continues the interrupted one from its checkpoint.
/// </summary>
public static class SearchCommands
{
    private static readonly JsonSerializerOptions Snake = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static void Add(RootCommand root)
    {
        var task = new Option<string>("--task") { Description = "in-domain task to label, e.g. arith, mcq, arc:FILE", Required = true };
        var file = new Option<string?>("--file") { Description = "data file for a file-based task" };
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "train" };
        var n = new Option<int>("--n") { DefaultValueFactory = _ => 100, Description = "examples to search" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0, Description = "sampling and search seed" };
        var searchSeed = new Option<int?>("--search-seed") { Description = "search seed apart from the sampling seed (default: --seed): the same items searched in another random order, for label agreement" };
        var sims = new Option<int>("--simulations") { DefaultValueFactory = _ => new SearchOptions().Simulations };
        var paperLabels = new Option<bool>("--paper-labels") { Description = "the paper's early stop (a correct path 2 steps shorter, at once) and tie-break (fewer distinct blocks) instead of this project's (README: Search)" };
        var outFile = new Option<string?>("--out") { Description = "JSON lines, one per example (the summary goes to FILE.summary.json)" };
        var state = new Option<string?>("--state") { Description = "directory for the in-progress search's checkpoint" };
        var resume = new Option<bool>("--resume") { Description = "skip examples already in --out and resume the interrupted one from --state" };
        var every = new Option<int>("--checkpoint-every") { DefaultValueFactory = _ => 5, Description = "simulations between checkpoints" };
        var sessions = new Option<int?>("--sessions") { Description = "inference sessions an example's evaluations share; each keeps one path's run for reuse (default: as many as 1 GiB of session state holds for 512-token sequences, at most 32)" };
        var noReuse = new Option<bool>("--no-prefix-reuse") { Description = "recompute every path from scratch (the baseline for the reuse benchmark)" };
        var cmd = new Command("search", "MCTS layer-path search per example; prints one JSON line per example")
            { EngineCommands.Model, task, file, split, n, seed, searchSeed, sims, paperLabels, outFile, state, resume, every, sessions, noReuse, EngineCommands.Threads };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var outPath = r.GetValue(outFile);
            var stateDir = r.GetValue(state);
            bool resuming = r.GetValue(resume);
            if (resuming && outPath is null) throw new ArgumentException("--resume needs --out (it skips the examples already written there)");
            if (!resuming && outPath is not null && File.Exists(outPath) && new FileInfo(outPath).Length > 0)
                throw new ArgumentException($"{outPath} exists: pass --resume to continue it, or choose another --out");
            if (r.GetValue(every) < 1) throw new ArgumentException("--checkpoint-every must be ≥ 1");
            if (r.GetValue(n) < 1) throw new ArgumentException($"--n must be ≥ 1, got {r.GetValue(n)}");
            var options = new SearchOptions { Simulations = r.GetValue(sims) };
            if (r.GetValue(paperLabels)) options = SearchOptions.PaperLabels(options);
            options.Validate();

            var modelPath = r.GetValue(EngineCommands.Model)!;
            var source = TaskRegistry.Resolve(r.GetValue(task)!, r.GetValue(file));
            var items = source.Sample(r.GetValue(split)!, r.GetValue(n), r.GetValue(seed));
            using var decoder = Decoder.Load(modelPath, r.GetValue(EngineCommands.Threads));
            var evaluator = new TaskEvaluator(decoder, TokenizerLoader.Load(modelPath));

            var done = new List<ExampleSearchResult>();
            var doneIds = new HashSet<string>();
            if (resuming && File.Exists(outPath)) DropTornLastLine(outPath!);
            // Every line already there must be a result for this model, or resuming would append to (and summarise) a
            // file that mixes models; the check comes before anything is written.
            if (resuming && File.Exists(outPath))
                foreach (var (lineNo, e) in SearchResultLines.Read(outPath!, decoder.Config.NumLayers))
                {
                    if (!items.Any(i => i.Task == e.Task))
                        throw new FormatException($"{outPath}:{lineNo}: a result for task '{e.Task}'; this run searches '{items[0].Task}' (choose another --out)");
                    if (!doneIds.Add(e.Id)) throw new FormatException($"{outPath}: example '{e.Id}' has more than one result line");
                    done.Add(e);
                }
            string? checkpointFile = stateDir is null ? null : Path.Combine(stateDir, "current.json");
            if (!resuming && checkpointFile is not null && File.Exists(checkpointFile))
                throw new ArgumentException($"{checkpointFile} holds an interrupted search's checkpoint: pass --resume to continue it, or choose another --state");
            var pending = resuming && checkpointFile is not null && File.Exists(checkpointFile) ? ReadCheckpoint(checkpointFile) : null;
            if (pending is not null)
            {
                ExampleSearch.CheckResumable(pending, decoder.Config.NumLayers, options, ExampleSearch.SeedFor(r.GetValue(seed), pending.ExampleId), checkpointFile!);
                if (!items.Any(i => i.Id == pending.ExampleId))
                    throw new ArgumentException($"{checkpointFile}: search checkpoint of example '{pending.ExampleId}', which this run does not search (pass the same --task, --split, --n and --seed, or choose another --state)");
            }
            if (stateDir is not null) Directory.CreateDirectory(stateDir);

            using var output = outPath is null ? null : new StreamWriter(outPath, append: true);
            var sw = Stopwatch.StartNew();
            using var pool = new SessionPool(decoder, r.GetValue(sessions) ?? SessionPool.AutoSize(decoder.Config));
            pool.ReusePrefix = !r.GetValue(noReuse);
            int runSeed = r.GetValue(searchSeed) ?? r.GetValue(seed);
            int index = 0;
            foreach (var item in items)
            {
                index++;
                if (doneIds.Contains(item.Id)) continue;
                var resumeFrom = pending?.ExampleId == item.Id ? pending : null;
                if (resumeFrom is not null) Console.Error.WriteLine($"{item.Id}: resuming from its checkpoint at simulation {resumeFrom.State.Simulations}");
                var cpu0 = ProcessCpu();
                var result = ExampleSearch.Run(evaluator, pool, item, options, ExampleSearch.SeedFor(runSeed, item.Id),
                    resumeFrom, checkpointFile is null ? null : c => WriteCheckpoint(checkpointFile, c), r.GetValue(every));
                // CPU time beside wall time: on a shared machine it leaves out the time other programs held the cores.
                var line = JsonSerializer.SerializeToNode(result, Snake)!.AsObject();
                line["cpu_seconds"] = Math.Round((ProcessCpu() - cpu0).TotalSeconds, 4);
                var json = line.ToJsonString();
                if (output is null) Console.WriteLine(json);
                else
                {
                    output.WriteLine(json);
                    output.Flush();
                }
                done.Add(result);
                Console.Error.WriteLine($"[{index}/{items.Count}] {item.Id}: default {(result.DefaultCorrect ? "right" : "wrong")}, " +
                    $"best {(result.BestPath is null ? "none" : $"{result.BestPath.Length} steps")}, {result.Simulations} sims, " +
                    $"{result.PathsEvaluated} paths, {result.BlockRuns} block runs (+{result.BlockRunsSaved} reused), " +
                    $"{result.WallSeconds:F1} s; elapsed {sw.Elapsed:mm\\:ss}");
            }
            if (checkpointFile is not null && File.Exists(checkpointFile)) File.Delete(checkpointFile);

            var summary = Summary(done, decoder.Config.NumLayers, pool.ReusePrefix, sw.Elapsed.TotalSeconds);
            if (outPath is null) Console.Error.WriteLine(summary);
            else File.WriteAllText(outPath + ".summary.json", summary + "\n");
            return 0;
        }));
        root.Subcommands.Add(cmd);
    }

    /// <summary>
    /// A kill while a result line was being written can leave it cut short, without its newline. Such a last line is
    /// not a result: it is cut off (and its example searched again). A last line that lacks only its newline is kept
    /// and given one, so the next result does not run into it. Every other line stays as it is.
    /// </summary>
    private static void DropTornLastLine(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0 || bytes[^1] == (byte)'\n') return;
        int keep = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        // Only a line that is not JSON at all counts as torn: a whole line that fails the result checks is refused later
        // with its reason, never cut off.
        bool whole;
        try { using var _ = JsonDocument.Parse(bytes.AsMemory(keep)); whole = true; }
        catch (JsonException) { whole = false; }
        if (whole) File.AppendAllText(path, "\n");
        else
        {
            Console.Error.WriteLine($"{path}: the last line was cut short by an interruption ({bytes.Length - keep} bytes); dropping it and searching that example again");
            using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
            f.SetLength(keep);
        }
    }

    /// <summary>CPU time of this process so far (all its threads: the search, OpenBLAS's, the runtime's).</summary>
    private static TimeSpan ProcessCpu()
    {
        using var me = Process.GetCurrentProcess();
        return me.TotalProcessorTime;
    }

    private static string Summary(IReadOnlyList<ExampleSearchResult> results, int numBlocks, bool reuse, double wallSeconds)
    {
        var stats = LabelStatistics.Compute(results.Select(x => x.AsSearchResult()), numBlocks);
        long sims = results.Sum(x => (long)x.Simulations), runs = results.Sum(x => x.BlockRuns), saved = results.Sum(x => x.BlockRunsSaved);
        return JsonSerializer.Serialize(new
        {
            examples = stats.Examples,
            kept = stats.Kept,
            default_accuracy = Math.Round(stats.DefaultAccuracy, 4),
            labels = new { skip = stats.Skip, execute = stats.Execute, repeat = stats.Repeat },
            avg_layers_saved = Math.Round(stats.AverageLayersSaved, 3),
            fix_share = Math.Round(stats.FixShare, 4),
            simulations = sims,
            paths_evaluated = results.Sum(x => (long)x.PathsEvaluated),
            block_runs = runs,
            block_runs_saved = saved,
            block_runs_per_simulation = sims == 0 ? 0 : Math.Round((double)runs / sims, 2),
            prefix_reuse = reuse,
            search_seconds = Math.Round(results.Sum(x => x.WallSeconds), 2),
            wall_seconds = Math.Round(wallSeconds, 2),
        });
    }

    /// <summary>Atomically replaces the checkpoint: a kill mid-write leaves the previous one intact.</summary>
    private static void WriteCheckpoint(string file, SearchCheckpoint c)
    {
        var envelope = new JsonObject
        {
            ["example_id"] = c.ExampleId,
            ["seed"] = c.Seed,
            ["block_runs"] = c.BlockRuns,
            ["block_runs_saved"] = c.BlockRunsSaved,
            ["wall_seconds"] = c.WallSeconds,
            ["state"] = JsonNode.Parse(c.State.ToJson()),
        };
        var tmp = file + ".tmp";
        File.WriteAllText(tmp, envelope.ToJsonString());
        File.Move(tmp, file, overwrite: true);
    }

    private static SearchCheckpoint ReadCheckpoint(string file)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(file)); }
        catch (JsonException e) { throw new FormatException($"{file}: search checkpoint is not valid JSON ({e.Message})", e); }
        JsonNode Node(string name) => root?[name] ?? throw new FormatException($"{file}: search checkpoint lacks '{name}'");
        T Value<T>(string name)
        {
            try { return Node(name).GetValue<T>(); }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new FormatException($"{file}: search checkpoint field '{name}' is not a {typeof(T).Name}", e);
            }
        }
        return new SearchCheckpoint(Value<string>("example_id"), Value<ulong>("seed"), Value<long>("block_runs"),
            Value<long>("block_runs_saved"), Value<double>("wall_seconds"), SearchState.FromJson(Node("state").ToJsonString(), file));
    }
}
