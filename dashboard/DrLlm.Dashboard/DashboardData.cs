using DrLlm.Cluster.Data;
using Microsoft.EntityFrameworkCore;

namespace DrLlm.Dashboard;

/// <summary>A training run's epochs (the loss curve).</summary>
public sealed record LossCurve(long ExperimentId, string Label, IReadOnlyList<TrainingEpochRow> Epochs);

/// <summary>How often each block got each label (0 skip, 1 execute, 2 repeat) over a set of paths.</summary>
public sealed record ActionFrequencies(string Label, int Blocks, int Paths, int[][] Counts);

/// <summary>A base model that live silos host: its hash and on how many silos it is ready.</summary>
public sealed record HostedModel(string Name, string Sha256, string Format, int Blocks, int Silos);

/// <summary>A search tree in an experiment's list.</summary>
public sealed record TreeLine(long Id, string ItemId, string Task, string Status, int Simulations, int Executions, bool? DefaultCorrect,
    bool? BestCorrect, int[]? BestPath, string? StopReason, string? NodeId, string? Error);

/// <summary>One evaluated example: baseline (default path) and routed answers, the routed path and the routers' decisions.</summary>
public sealed record ResultLine(long EvaluationId, string Task, string Split, string Domain, long ExampleId, string ItemId,
    bool BaselineCorrect, bool RoutedCorrect, string? BaselineAnswer, string? RoutedAnswer, int[] RoutedPath, int[] Decisions, string Gold);

/// <summary>One evaluated example with its prompt, for the example viewer.</summary>
public sealed record ResultDetail(ResultLine Result, ExampleRow Example, ExperimentRow Experiment, int? Blocks, string? RoutedOutput);

/// <summary>Everything the path viewer shows about one search tree.</summary>
public sealed record TreeDetail(SearchTreeRow Tree, ExampleRow Example, ExperimentRow Experiment, int? Blocks);

/// <summary>
/// The dashboard's reads: the views through <see cref="ClusterViews"/> (shared with the CLI), the tables through <see cref="ClusterDb"/>.
/// Nothing here writes; intents go through <see cref="ClusterIntents"/>.
/// </summary>
public sealed class DashboardData(string connectionString) : ClusterViews(connectionString)
{
    public async Task<SweepRow?> SweepRowAsync(long id)
    {
        await using var db = ClusterDb.Open(ConnectionString);
        return await db.Sweeps.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id);
    }

    public async Task<List<ModelHostRow>> ModelHostsAsync()
    {
        await using var db = ClusterDb.Open(ConnectionString);
        return await db.ModelHosts.AsNoTracking().OrderBy(h => h.NodeId).ThenBy(h => h.Model).ToListAsync();
    }

    /// <summary>Models with a ready host on a node that is up (what a sweep can run on now).</summary>
    public async Task<List<HostedModel>> HostedModelsAsync()
    {
        await using var db = ClusterDb.Open(ConnectionString);
        var ready = await (from h in db.ModelHosts join n in db.Nodes on h.NodeId equals n.Id
                           where h.Status == "ready" && n.Status == "up" select h.Model).AsNoTracking().ToListAsync();
        var models = await db.BaseModels.AsNoTracking().Where(b => ready.Contains(b.Name)).OrderBy(b => b.Name).ToListAsync();
        return [.. models.Select(b => new HostedModel(b.Name, b.Sha256, b.Format, b.Blocks, ready.Count(m => m == b.Name)))];
    }

    public async Task<List<FailureRow>> RecentFailuresAsync(int n)
    {
        await using var db = ClusterDb.Open(ConnectionString);
        return await db.Failures.AsNoTracking().OrderByDescending(f => f.Id).Take(n).ToListAsync();
    }

    public async Task<List<FailureRow>> FailureRowsAsync(long sweepId)
    {
        await using var db = ClusterDb.Open(ConnectionString);
        return await db.Failures.AsNoTracking().Where(f => f.SweepId == sweepId).OrderBy(f => f.Id).Take(200).ToListAsync();
    }

    /// <summary>The loss curves of the sweep's training runs (or of one experiment's).</summary>
    public async Task<List<LossCurve>> LossCurvesAsync(long sweepId, long? experimentId = null)
    {
        await using var db = ClusterDb.Open(ConnectionString);
        var runs = await (from r in db.TrainingRuns join e in db.Experiments on r.ExperimentId equals e.Id
                          where e.SweepId == sweepId && (experimentId == null || e.Id == experimentId)
                          orderby e.Id select new { r.Id, e.Model, e.Seed, ExperimentId = e.Id }).AsNoTracking().ToListAsync();
        var ids = runs.Select(r => r.Id).ToList();
        var epochs = await db.TrainingEpochs.AsNoTracking().Where(x => ids.Contains(x.TrainingRunId)).OrderBy(x => x.Epoch).ToListAsync();
        return [.. runs.Select(r => new LossCurve(r.ExperimentId, $"#{r.ExperimentId} {r.Model} seed {r.Seed}",
            epochs.Where(x => x.TrainingRunId == r.Id).ToList()))];
    }

    /// <summary>Per-block label frequencies of the finished searches' best paths (y = count of the block in the path), per
    /// model of the sweep, or for one experiment; and of the routers' decisions in routed evaluation.</summary>
    public async Task<List<ActionFrequencies>> ActionFrequenciesAsync(long sweepId, long? experimentId = null)
    {
        await using var db = ClusterDb.Open(ConnectionString);
        var labelled = await (from t in db.SearchTrees join e in db.Experiments on t.ExperimentId equals e.Id
                              where e.SweepId == sweepId && (experimentId == null || e.Id == experimentId) && t.Labels != null
                              select new { e.Model, t.Labels }).AsNoTracking().ToListAsync();
        var decided = await (from r in db.EvaluationResults join v in db.Evaluations on r.EvaluationId equals v.Id
                             join e in db.Experiments on v.ExperimentId equals e.Id
                             where e.SweepId == sweepId && (experimentId == null || e.Id == experimentId)
                             select new { e.Model, r.Decisions }).AsNoTracking().ToListAsync();
        var result = new List<ActionFrequencies>();
        foreach (var g in labelled.GroupBy(x => x.Model).OrderBy(g => g.Key))
            result.Add(Count($"search labels, {g.Key}", g.Select(x => x.Labels!)));
        foreach (var g in decided.Where(x => x.Decisions.Length > 0).GroupBy(x => x.Model).OrderBy(g => g.Key))
            result.Add(Count($"router decisions (routed evaluation), {g.Key}", g.Select(x => x.Decisions)));
        return result;
    }

    public static ActionFrequencies Count(string label, IEnumerable<int[]> rows)
    {
        var list = rows.ToList();
        int blocks = list.Count == 0 ? 0 : list.Max(l => l.Length);
        var counts = new int[blocks][];
        for (int b = 0; b < blocks; b++) counts[b] = new int[3];
        foreach (var l in list)
            for (int b = 0; b < l.Length; b++)
                if (l[b] is >= 0 and <= 2) counts[b][l[b]]++;
        return new ActionFrequencies(label, blocks, list.Count, counts);
    }

    public async Task<ExperimentRow?> ExperimentAsync(long id)
    {
        await using var db = ClusterDb.Open(ConnectionString);
        return await db.Experiments.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id);
    }

    /// <summary>The experiment's search trees, examples in natural order (item 9 before item 10).</summary>
    public async Task<List<TreeLine>> TreesAsync(long experimentId)
    {
        await using var db = ClusterDb.Open(ConnectionString);
        var trees = await (from t in db.SearchTrees join x in db.Examples on t.ExampleId equals x.Id
                           where t.ExperimentId == experimentId
                           select new TreeLine(t.Id, x.ItemId, x.Task, t.Status, t.Simulations, t.Executions, t.DefaultCorrect, t.BestCorrect, t.BestPath,
                               t.StopReason, t.NodeId, t.Error)).AsNoTracking().ToListAsync();
        return [.. trees.OrderBy(t => t.Task, StringComparer.Ordinal).ThenBy(t => t.ItemId, NaturalOrder.Instance)];
    }

    /// <summary>Every evaluated example of the experiment, by evaluation (in-domain first), examples in natural order.</summary>
    public async Task<List<ResultLine>> ResultsAsync(long experimentId)
    {
        await using var db = ClusterDb.Open(ConnectionString);
        var rows = await (from r in db.EvaluationResults join v in db.Evaluations on r.EvaluationId equals v.Id
                          join x in db.Examples on r.ExampleId equals x.Id
                          where v.ExperimentId == experimentId
                          select new ResultLine(v.Id, v.Task, v.Split, v.Domain, x.Id, x.ItemId, r.BaselineCorrect, r.RoutedCorrect,
                              r.BaselineAnswer, r.RoutedAnswer, r.RoutedPath, r.Decisions, x.Gold)).AsNoTracking().ToListAsync();
        return [.. rows.OrderBy(r => r.Domain == "in-domain" ? 0 : 1).ThenBy(r => r.EvaluationId)
            .ThenBy(r => r.ItemId, NaturalOrder.Instance)];
    }

    public async Task<ResultDetail?> ResultAsync(long evaluationId, long exampleId)
    {
        await using var db = ClusterDb.Open(ConnectionString);
        var r = await db.EvaluationResults.AsNoTracking().FirstOrDefaultAsync(x => x.EvaluationId == evaluationId && x.ExampleId == exampleId);
        if (r is null) return null;
        var v = await db.Evaluations.AsNoTracking().FirstAsync(x => x.Id == evaluationId);
        var x = await db.Examples.AsNoTracking().FirstAsync(e => e.Id == exampleId);
        var e = await db.Experiments.AsNoTracking().FirstAsync(e => e.Id == v.ExperimentId);
        var blocks = await db.BaseModels.AsNoTracking().Where(b => b.Name == e.Model).Select(b => (int?)b.Blocks).FirstOrDefaultAsync();
        var line = new ResultLine(v.Id, v.Task, v.Split, v.Domain, x.Id, x.ItemId, r.BaselineCorrect, r.RoutedCorrect, r.BaselineAnswer,
            r.RoutedAnswer, r.RoutedPath, r.Decisions, x.Gold);
        return new ResultDetail(line, x, e, blocks, r.RoutedOutput);
    }

    public async Task<TreeDetail?> TreeAsync(long treeId)
    {
        await using var db = ClusterDb.Open(ConnectionString);
        var t = await db.SearchTrees.AsNoTracking().FirstOrDefaultAsync(x => x.Id == treeId);
        if (t is null) return null;
        var x = await db.Examples.AsNoTracking().FirstAsync(e => e.Id == t.ExampleId);
        var e = await db.Experiments.AsNoTracking().FirstAsync(e => e.Id == t.ExperimentId);
        var blocks = await db.BaseModels.AsNoTracking().Where(b => b.Name == e.Model).Select(b => (int?)b.Blocks).FirstOrDefaultAsync();
        return new TreeDetail(t, x, e, blocks ?? t.Labels?.Length);
    }
}

/// <summary>Orders strings with their digit runs compared as numbers ("item-9" before "item-10").</summary>
public sealed class NaturalOrder : IComparer<string>
{
    public static readonly NaturalOrder Instance = new();

    public int Compare(string? a, string? b)
    {
        if (a is null || b is null) return string.CompareOrdinal(a, b);
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                int si = i, sj = j;
                while (si < a.Length && a[si] == '0') si++;
                while (sj < b.Length && b[sj] == '0') sj++;
                int ei = si, ej = sj;
                while (ei < a.Length && char.IsAsciiDigit(a[ei])) ei++;
                while (ej < b.Length && char.IsAsciiDigit(b[ej])) ej++;
                int c = (ei - si).CompareTo(ej - sj);
                if (c == 0) c = string.CompareOrdinal(a, si, b, sj, ei - si);
                if (c != 0) return c;
                i = ei; j = ej;
            }
            else
            {
                int c = a[i].CompareTo(b[j]);
                if (c != 0) return c;
                i++; j++;
            }
        }
        return (a.Length - i).CompareTo(b.Length - j);
    }
}
