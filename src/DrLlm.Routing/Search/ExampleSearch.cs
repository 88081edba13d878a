using System.Diagnostics;
using DrLlm.Engine.Model;
using DrLlm.Routing.Evaluation;
using DrLlm.Tasks;

namespace DrLlm.Routing.Search;

/// <summary>
/// One example's search outcome: the label and what it cost (issue 5's per-example record). <see cref="Prompt"/> is the
/// text the model was given, so a label file is self-contained for router training.
/// </summary>
public sealed record ExampleSearchResult(
    string Id,
    string Task,
    int? Level,
    string Prompt,
    bool DefaultCorrect,
    int[]? BestPath,
    bool BestCorrect,
    int[]? Labels,
    int Simulations,
    int PathsEvaluated,
    long BlockRuns,
    long BlockRunsSaved,
    double WallSeconds,
    string? StopReason)
{
    public SearchResult AsSearchResult() =>
        new(DefaultCorrect, BestPath, BestCorrect, Labels, Simulations, PathsEvaluated, StopReason);
}

/// <summary>A search in progress, as saved between simulations: the tree plus the cost counters so far.</summary>
public sealed record SearchCheckpoint(string ExampleId, ulong Seed, long BlockRuns, long BlockRunsSaved, double WallSeconds, SearchState State);

/// <summary>
/// Runs the length-aware MCTS for one task item on the engine: rewards come from <see cref="TaskEvaluator"/> (the same
/// prompt, budget, stops and grader as evaluation), and path evaluations share a <see cref="SessionPool"/> so prefix
/// reuse works across them. <paramref name="checkpoint"/> is called every <paramref name="checkpointEvery"/> simulations and at the
/// end; a search rebuilt from such a checkpoint finishes exactly as an uninterrupted one.
/// </summary>
public static class ExampleSearch
{
    /// <summary>The search seed of an example: fixed by the run's seed and the example's id, not by its position.</summary>
    public static ulong SeedFor(int runSeed, string exampleId)
    {
        ulong h = 14695981039346656037UL ^ (ulong)(uint)runSeed;
        foreach (var ch in exampleId) h = (h ^ ch) * 1099511628211UL;
        return h;
    }

    /// <summary>
    /// Refuses a checkpoint that the run about to continue it did not make: another model (block count), other search
    /// settings or another seed would each continue a different search than the one saved, and label the example with
    /// a path it never searched. <paramref name="source"/> names the checkpoint in the error.
    /// </summary>
    public static void CheckResumable(SearchCheckpoint c, int numBlocks, SearchOptions options, ulong seed, string source)
    {
        if (c.State.NumBlocks != numBlocks)
            throw new ArgumentException($"{source}: search checkpoint of example '{c.ExampleId}' was made for a {c.State.NumBlocks}-block model; this model has {numBlocks} blocks");
        if (c.State.Options != options)
            throw new ArgumentException($"{source}: search checkpoint of example '{c.ExampleId}' was made with other search settings ({c.State.Options}); this run has {options}");
        if (c.Seed != seed)
            throw new ArgumentException($"{source}: search checkpoint of example '{c.ExampleId}' was made with search seed {c.Seed}; this run's seed gives {seed} (pass the same --seed)");
    }

    public static ExampleSearchResult Run(TaskEvaluator evaluator, SessionPool sessions, TaskItem item,
        SearchOptions options, ulong seed, SearchCheckpoint? resumeFrom = null,
        Action<SearchCheckpoint>? checkpoint = null, int checkpointEvery = 5)
    {
        var (prompt, budget, stops) = evaluator.Prepare(item);
        var pathEvaluator = new EnginePathEvaluator(sessions, prompt, budget, stops, ids => evaluator.Grade(item, ids).Correct);
        return Run(pathEvaluator, sessions.Config.NumLayers, item, options, seed, resumeFrom, checkpoint, checkpointEvery,
            () => (pathEvaluator.BlockRuns, pathEvaluator.BlockRunsSaved));
    }

    /// <summary>
    /// The search loop on any path evaluator (the engine's, or the cluster's stand-in model host): the tree, built fresh
    /// or rebuilt from <paramref name="resumeFrom"/>, runs its simulations; <paramref name="simulated"/> sees the count
    /// after each one; <paramref name="checkpoint"/> gets a snapshot every <paramref name="checkpointEvery"/> simulations and
    /// at the end; <paramref name="blockRuns"/> reads the evaluator's block-run counters for the snapshot (none: 0).
    /// </summary>
    public static ExampleSearchResult Run(IPathEvaluator evaluator, int numBlocks, TaskItem item, SearchOptions options, ulong seed,
        SearchCheckpoint? resumeFrom, Action<SearchCheckpoint>? checkpoint, int checkpointEvery,
        Func<(long Runs, long Saved)>? blockRuns = null, Action<int>? simulated = null)
    {
        if (resumeFrom is not null && resumeFrom.ExampleId != item.Id)
            throw new ArgumentException($"search checkpoint is for example '{resumeFrom.ExampleId}', not '{item.Id}'");
        if (resumeFrom is not null) CheckResumable(resumeFrom, numBlocks, options, seed, "search checkpoint");
        var tree = resumeFrom is null ? new SearchTree(numBlocks, options, seed) : SearchTree.Resume(resumeFrom.State);
        long runs0 = resumeFrom?.BlockRuns ?? 0, saved0 = resumeFrom?.BlockRunsSaved ?? 0;
        double wall0 = resumeFrom?.WallSeconds ?? 0;
        var sw = Stopwatch.StartNew();
        SearchCheckpoint Snapshot()
        {
            var (runs, saved) = blockRuns?.Invoke() ?? (0, 0);
            return new(item.Id, seed, runs0 + runs, saved0 + saved, wall0 + sw.Elapsed.TotalSeconds, tree.State);
        }

        var r = tree.Run(evaluator, t =>
        {
            simulated?.Invoke(t.State.Simulations);
            if (checkpoint is not null && t.State.Simulations % checkpointEvery == 0) checkpoint(Snapshot());
        });
        simulated?.Invoke(r.Simulations);
        var last = Snapshot();
        checkpoint?.Invoke(last);
        return new ExampleSearchResult(item.Id, item.Task, item.Level, DrLlm.Tasks.Prompts.TaskPrompts.Base(item), r.DefaultCorrect, r.BestPath, r.BestCorrect, r.Labels,
            r.Simulations, r.PathsEvaluated, last.BlockRuns, last.BlockRunsSaved, last.WallSeconds, r.StopReason);
    }
}
