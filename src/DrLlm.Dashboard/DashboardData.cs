using DrLlm.Cluster;
using DrLlm.Cluster.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace DrLlm.Dashboard;

/// <summary>A sweep in the list: its progress per stage (v_sweep_progress) and when it was created and ended.</summary>
public sealed record SweepListItem(SweepProgress Progress, DateTime CreatedAt, DateTime? FinishedAt);

/// <summary>One line of v_experiments.</summary>
public sealed record ExperimentView(long Id, string Model, string Task, string SettingsKey, int Seed, string Stage, string Status, string? Error,
    double? BaselineAccuracy, double? RoutedAccuracy, double? Delta, double? LayersSaved, double? OodBaselineAccuracy, double? OodRoutedAccuracy,
    double? OodDelta, long Trees, long TreesDone, long SimulationsDone, double? RouterBlockAccuracy, double? RouterMacroF1);

/// <summary>One line of v_search_progress.</summary>
public sealed record SearchProgressView(long ExperimentId, string Model, string Task, int Seed, long Trees, long Pending, long Running, long Done,
    long Failed, long SimulationsDone, long SimulationBudget, long Labelled, long Resumes);

/// <summary>One line of v_label_statistics.</summary>
public sealed record LabelStatisticsView(long ExperimentId, string Model, string Task, int Seed, long Examples, long Kept, long SkipLabels,
    long ExecuteLabels, long RepeatLabels, double? AvgLayersSaved, double? FixShare, double? DefaultAccuracy);

/// <summary>One line of v_router_metrics.</summary>
public sealed record RouterMetricsView(long ExperimentId, string Model, string Task, int Seed, string? TrainingStatus, int? EpochsDone, int? Epochs,
    int? TrainExamples, int? ValidationExamples, double? TrainLoss, double? ValidationLoss, double? BlockAccuracy, double? MacroF1, double[]? ClassRecall);

/// <summary>One line of v_evaluations.</summary>
public sealed record EvaluationView(long Id, long ExperimentId, string Model, string Task, string Split, string Domain, int Seed, string Status,
    int N, long Evaluated, double? BaselineAccuracy, double? RoutedAccuracy, double? Delta, double? BaselineAvgLayers, double? RoutedAvgLayers,
    double? LayersSaved);

/// <summary>A training run's epochs (the loss curve).</summary>
public sealed record LossCurve(long ExperimentId, string Label, IReadOnlyList<TrainingEpochRow> Epochs);

/// <summary>How often each block got each label (0 skip, 1 execute, 2 repeat) over a set of paths.</summary>
public sealed record ActionFrequencies(string Label, int Blocks, int Paths, int[][] Counts);

/// <summary>A search tree in an experiment's list.</summary>
public sealed record TreeLine(long Id, string ItemId, string Task, string Status, int Simulations, int Executions, bool? DefaultCorrect,
    bool? BestCorrect, int[]? BestPath, string? StopReason, string? NodeId, string? Error);

/// <summary>Everything the path viewer shows about one search tree.</summary>
public sealed record TreeDetail(SearchTreeRow Tree, ExampleRow Example, ExperimentRow Experiment, int? Blocks);

/// <summary>
/// The dashboard's reads: the views of db/0002_views.sql through Npgsql, the tables through <see cref="ClusterDb"/>.
/// Nothing here writes; intents go through <see cref="ClusterClient"/>.
/// </summary>
public sealed class DashboardData(string connectionString)
{
    public string ConnectionString { get; } = connectionString;

    private async Task<List<T>> Query<T>(string sql, Func<NpgsqlDataReader, T> map, params object[] args)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<T>();
        while (await r.ReadAsync()) list.Add(map(r));
        return list;
    }

    private static double? D(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : Convert.ToDouble(r.GetValue(i));
    private static long L(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? 0 : Convert.ToInt64(r.GetValue(i));
    private static int? I(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : Convert.ToInt32(r.GetValue(i));
    private static string? S(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private const string ProgressColumns = """
        sweep_id, name, status, experiments, experiments_done, experiments_failed, trees, trees_finished, trainings, trainings_finished,
        evaluations, evaluations_finished, failures, created_at, finished_at
        """;

    private static SweepListItem Progress(NpgsqlDataReader r) => new(
        new SweepProgress(r.GetInt64(0), r.GetString(1), r.GetString(2), (int)L(r, 3), (int)L(r, 4), (int)L(r, 5), (int)L(r, 6), (int)L(r, 7),
            (int)L(r, 8), (int)L(r, 9), (int)L(r, 10), (int)L(r, 11), (int)L(r, 12)),
        r.GetDateTime(13), r.IsDBNull(14) ? null : r.GetDateTime(14));

    public Task<List<SweepListItem>> SweepsAsync() =>
        Query($"select {ProgressColumns} from v_sweep_progress order by sweep_id desc", Progress);

    public async Task<SweepListItem?> SweepAsync(long id) =>
        (await Query($"select {ProgressColumns} from v_sweep_progress where sweep_id = $1", Progress, id)).FirstOrDefault();

    public async Task<SweepRow?> SweepRowAsync(long id)
    {
        await using var db = ClusterDb.Open(ConnectionString);
        return await db.Sweeps.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id);
    }

    public Task<List<ExperimentView>> ExperimentsAsync(long sweepId, long? experimentId = null) => Query("""
        select experiment_id, model, task, settings_key, seed, stage, status, error, baseline_accuracy, routed_accuracy, delta, layers_saved,
               ood_baseline_accuracy, ood_routed_accuracy, ood_delta, trees, trees_done, simulations_done, router_block_accuracy, router_macro_f1
        from v_experiments where sweep_id = $1 and ($2 < 0 or experiment_id = $2) order by experiment_id
        """, r => new ExperimentView(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetString(5), r.GetString(6),
            S(r, 7), D(r, 8), D(r, 9), D(r, 10), D(r, 11), D(r, 12), D(r, 13), D(r, 14), L(r, 15), L(r, 16), L(r, 17), D(r, 18), D(r, 19)),
        sweepId, experimentId ?? -1L);

    public Task<List<SearchProgressView>> SearchProgressAsync(long sweepId) => Query("""
        select experiment_id, model, task, seed, trees, pending, running, done, failed, simulations_done, simulation_budget, labelled, resumes
        from v_search_progress where sweep_id = $1 order by experiment_id
        """, r => new SearchProgressView(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt32(3), L(r, 4), L(r, 5), L(r, 6), L(r, 7), L(r, 8),
            L(r, 9), L(r, 10), L(r, 11), L(r, 12)), sweepId);

    public Task<List<LabelStatisticsView>> LabelStatisticsAsync(long sweepId) => Query("""
        select experiment_id, model, task, seed, examples, kept, skip_labels, execute_labels, repeat_labels, avg_layers_saved, fix_share, default_accuracy
        from v_label_statistics where sweep_id = $1 order by experiment_id
        """, r => new LabelStatisticsView(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt32(3), L(r, 4), L(r, 5), L(r, 6), L(r, 7), L(r, 8),
            D(r, 9), D(r, 10), D(r, 11)), sweepId);

    public Task<List<RouterMetricsView>> RouterMetricsAsync(long sweepId) => Query("""
        select experiment_id, model, task, seed, training_status, epochs_done, epochs, train_examples, validation_examples, train_loss, validation_loss,
               block_accuracy, macro_f1, class_recall
        from v_router_metrics where sweep_id = $1 order by experiment_id
        """, r => new RouterMetricsView(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt32(3), S(r, 4), I(r, 5), I(r, 6), I(r, 7), I(r, 8),
            D(r, 9), D(r, 10), D(r, 11), D(r, 12), r.IsDBNull(13) ? null : (double[])r.GetValue(13)), sweepId);

    public Task<List<EvaluationView>> EvaluationsAsync(long sweepId) => Query("""
        select evaluation_id, experiment_id, model, task, split, domain, seed, status, n, evaluated, baseline_accuracy, routed_accuracy, delta,
               baseline_avg_layers, routed_avg_layers, layers_saved
        from v_evaluations where sweep_id = $1 order by experiment_id, domain, task
        """, r => new EvaluationView(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt32(6),
            r.GetString(7), r.GetInt32(8), L(r, 9), D(r, 10), D(r, 11), D(r, 12), D(r, 13), D(r, 14), D(r, 15)), sweepId);

    public Task<List<NodeLine>> NodesAsync() => Query(
        "select id, host, pid, concurrency, status, heartbeat_age_s, models from v_nodes order by started_at, id",
        r => new NodeLine(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.GetString(4), Convert.ToDouble(r.GetValue(5)), r.GetString(6)));

    public async Task<List<ModelHostRow>> ModelHostsAsync()
    {
        await using var db = ClusterDb.Open(ConnectionString);
        return await db.ModelHosts.AsNoTracking().OrderBy(h => h.NodeId).ThenBy(h => h.Model).ToListAsync();
    }

    public async Task<List<FailureRow>> FailuresAsync(long sweepId)
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
