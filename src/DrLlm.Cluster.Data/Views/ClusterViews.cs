using Npgsql;

namespace DrLlm.Cluster.Data;

/// <summary>
/// The one mapper of the views users query (db/0002_views.sql): every read model is filled by column name, so a view
/// that gains a column changes nothing here, and a renamed one fails naming the column. The CLI and the dashboard read
/// through this; nothing here writes.
/// </summary>
public class ClusterViews(string connectionString)
{
    public string ConnectionString { get; } = connectionString;

    private async Task<List<T>> Query<T>(string sql, Func<Row, T> map, params object[] args)
    {
        await using var conn = await ClusterDatabase.OpenAsync(ConnectionString);
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        await using var r = await cmd.ExecuteReaderAsync();
        var row = new Row(r);
        var list = new List<T>();
        while (await r.ReadAsync()) list.Add(map(row));
        return list;
    }

    /// <summary>A reader's current row by column name, with the conversions the views need (counts are bigint,
    /// averages numeric).</summary>
    private sealed class Row(NpgsqlDataReader r)
    {
        private int At(string column) => r.GetOrdinal(column);
        public string S(string c) => r.GetString(At(c));
        public string? NS(string c) => r.IsDBNull(At(c)) ? null : r.GetString(At(c));
        public long L(string c) => r.IsDBNull(At(c)) ? 0 : Convert.ToInt64(r.GetValue(At(c)));
        public int I(string c) => (int)L(c);
        public int? NI(string c) => r.IsDBNull(At(c)) ? null : Convert.ToInt32(r.GetValue(At(c)));
        public double? D(string c) => r.IsDBNull(At(c)) ? null : Convert.ToDouble(r.GetValue(At(c)));
        public DateTime T(string c) => r.GetDateTime(At(c));
        public DateTime? NT(string c) => r.IsDBNull(At(c)) ? null : r.GetDateTime(At(c));
        public double[]? A(string c) => r.IsDBNull(At(c)) ? null : (double[])r.GetValue(At(c));
    }

    private static SweepProgress Progress(Row r) => new(r.L("sweep_id"), r.S("name"), r.S("status"), r.I("experiments"),
        r.I("experiments_done"), r.I("experiments_failed"), r.I("trees"), r.I("trees_finished"), r.I("trainings"), r.I("trainings_finished"),
        r.I("evaluations"), r.I("evaluations_finished"), r.I("failures"), r.T("created_at"), r.NT("finished_at"));

    public Task<List<SweepProgress>> SweepsAsync() => Query("select * from v_sweep_progress order by sweep_id desc", Progress);

    public async Task<SweepProgress?> SweepAsync(long id) =>
        (await Query("select * from v_sweep_progress where sweep_id = $1", Progress, id)).FirstOrDefault();

    public Task<List<ExperimentView>> ExperimentsAsync(long sweepId, long? experimentId = null) => Query(
        "select * from v_experiments where sweep_id = $1 and ($2 < 0 or experiment_id = $2) order by experiment_id",
        r => new ExperimentView(r.L("experiment_id"), r.S("model"), r.S("task"), r.S("settings_key"), r.I("seed"), r.S("stage"), r.S("status"),
            r.NS("error"), r.D("baseline_accuracy"), r.D("routed_accuracy"), r.D("delta"), r.D("layers_saved"), r.D("ood_baseline_accuracy"),
            r.D("ood_routed_accuracy"), r.D("ood_delta"), r.L("trees"), r.L("trees_done"), r.L("simulations_done"), r.D("router_block_accuracy"),
            r.D("router_macro_f1"), r.NS("waiting")),
        sweepId, experimentId ?? -1L);

    public Task<List<SearchProgressView>> SearchProgressAsync(long sweepId) => Query(
        "select * from v_search_progress where sweep_id = $1 order by experiment_id",
        r => new SearchProgressView(r.L("experiment_id"), r.S("model"), r.S("task"), r.I("seed"), r.L("trees"), r.L("pending"), r.L("running"),
            r.L("done"), r.L("failed"), r.L("simulations_done"), r.L("simulation_budget"), r.L("labelled"), r.L("resumes")), sweepId);

    public Task<List<LabelStatisticsView>> LabelStatisticsAsync(long sweepId) => Query(
        "select * from v_label_statistics where sweep_id = $1 order by experiment_id",
        r => new LabelStatisticsView(r.L("experiment_id"), r.S("model"), r.S("task"), r.I("seed"), r.L("examples"), r.L("kept"), r.L("skip_labels"),
            r.L("execute_labels"), r.L("repeat_labels"), r.D("avg_layers_saved"), r.D("fix_share"), r.D("default_accuracy")), sweepId);

    public Task<List<RouterMetricsView>> RouterMetricsAsync(long sweepId) => Query(
        "select * from v_router_metrics where sweep_id = $1 order by experiment_id",
        r => new RouterMetricsView(r.L("experiment_id"), r.S("model"), r.S("task"), r.I("seed"), r.NS("training_status"), r.NI("epochs_done"),
            r.NI("epochs"), r.NI("train_examples"), r.NI("validation_examples"), r.D("train_loss"), r.D("validation_loss"), r.D("block_accuracy"),
            r.D("macro_f1"), r.A("class_recall")), sweepId);

    public Task<List<EvaluationView>> EvaluationsAsync(long sweepId) => Query(
        "select * from v_evaluations where sweep_id = $1 order by experiment_id, domain, task",
        r => new EvaluationView(r.L("evaluation_id"), r.L("experiment_id"), r.S("model"), r.S("task"), r.S("split"), r.S("domain"), r.I("seed"),
            r.S("status"), r.I("n"), r.L("evaluated"), r.D("baseline_accuracy"), r.D("routed_accuracy"), r.D("delta"), r.D("baseline_avg_layers"),
            r.D("routed_avg_layers"), r.D("layers_saved")), sweepId);

    public Task<List<NodeLine>> NodesAsync() => Query("select * from v_nodes order by started_at, id",
        r => new NodeLine(r.S("id"), r.S("host"), r.I("pid"), r.I("concurrency"), r.S("status"), r.D("heartbeat_age_s") ?? 0, r.S("models")));

    /// <summary>The sweep's failures, and the load failures of the models it uses.</summary>
    public Task<List<FailureLine>> FailuresAsync(long sweepId) => Query("""
        select actor, actor_key, node_id, reason from failures
        where sweep_id = $1
           or (sweep_id is null and actor = 'ModelHost'
               and reverse(split_part(reverse(actor_key), '/', 1)) in (select model from experiments where sweep_id = $1))
        order by id limit 500
        """, r => new FailureLine(r.S("actor"), r.S("actor_key"), r.NS("node_id"), r.S("reason")), sweepId);
}
