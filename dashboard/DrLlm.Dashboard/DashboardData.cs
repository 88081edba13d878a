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

    public async Task<List<TreeLine>> TreesAsync(long experimentId)
    {
        await using var db = ClusterDb.Open(ConnectionString);
        return await (from t in db.SearchTrees join x in db.Examples on t.ExampleId equals x.Id
                      where t.ExperimentId == experimentId orderby x.ItemId
                      select new TreeLine(t.Id, x.ItemId, x.Task, t.Status, t.Simulations, t.Executions, t.DefaultCorrect, t.BestCorrect, t.BestPath,
                          t.StopReason, t.NodeId, t.Error)).AsNoTracking().ToListAsync();
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
