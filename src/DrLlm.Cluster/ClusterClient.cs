using DrLlm.Cluster.Data;
using DrLlm.Cluster.Spec;
using Npgsql;

namespace DrLlm.Cluster;

/// <summary>A sweep's progress per stage, as v_sweep_progress reports it.</summary>
public sealed record SweepProgress(long Id, string Name, string Status, int Experiments, int ExperimentsDone, int ExperimentsFailed,
    int Trees, int TreesFinished, int Trainings, int TrainingsFinished, int Evaluations, int EvaluationsFinished, int Failures)
{
    public bool IsFinished => Status is "done" or "cancelled" or "failed";
}

/// <summary>One experiment's line in a sweep's status (v_experiments).</summary>
public sealed record ExperimentLine(long Id, string Model, string Task, string Settings, int Seed, string Stage, string Status, string? Error,
    double? BaselineAccuracy, double? RoutedAccuracy, double? Delta, double? LayersSaved, long TreesDone, long Trees);

/// <summary>A node as v_nodes shows it.</summary>
public sealed record NodeLine(string Id, string Host, int Pid, int Concurrency, string Status, double HeartbeatAge, string Models);

/// <summary>
/// What the CLI (and the dashboard) do against the cluster: write intents — a new sweep, a cancel — and read state. They
/// never talk to a node; nodes pick the intents up from the database.
/// </summary>
public static class ClusterClient
{
    private static async Task<NpgsqlConnection> Open(string connectionString)
    {
        try
        {
            await Retry.Run(() => Migrator.MigrateAsync(connectionString));
            var conn = new NpgsqlConnection(connectionString);
            await conn.OpenAsync();
            return conn;
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException or System.Net.Sockets.SocketException)
        {
            throw new InvalidOperationException($"cannot reach the cluster database ({e.Message})", e);
        }
    }

    /// <summary>Inserts the (already validated) sweep as 'queued'; a node's Sweep actor expands it. Returns its id.</summary>
    public static async Task<long> LaunchAsync(string connectionString, SweepSpec spec, string specText)
    {
        await using var conn = await Open(connectionString);
        await using var cmd = new NpgsqlCommand("insert into sweeps (name, spec, spec_text, status) values ($1, $2::jsonb, $3, 'queued') returning id", conn);
        cmd.Parameters.Add(new() { Value = spec.Name });
        cmd.Parameters.Add(new() { Value = spec.ToJson() });
        cmd.Parameters.Add(new() { Value = specText });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>Asks for a cancel; returns the status the sweep had. Finished sweeps are left as they are.</summary>
    public static async Task<string> CancelAsync(string connectionString, long id)
    {
        await using var conn = await Open(connectionString);
        await using var cmd = new NpgsqlCommand("""
            with old as (select id, status from sweeps where id = $1 for update)
            update sweeps s set status = case when old.status in ('queued', 'running') then 'cancelling' else old.status end
            from old where s.id = old.id returning old.status
            """, conn);
        cmd.Parameters.Add(new() { Value = id });
        return (string?)await cmd.ExecuteScalarAsync() ?? throw new ArgumentException($"no sweep {id}");
    }

    public static async Task<SweepProgress> ProgressAsync(string connectionString, long id)
    {
        await using var conn = await Open(connectionString);
        await using var cmd = new NpgsqlCommand("""
            select sweep_id, name, status, experiments, experiments_done, experiments_failed, trees, trees_finished, trainings, trainings_finished,
                   evaluations, evaluations_finished, failures
            from v_sweep_progress where sweep_id = $1
            """, conn);
        cmd.Parameters.Add(new() { Value = id });
        await using var r = await cmd.ExecuteReaderAsync();
        if (!await r.ReadAsync()) throw new ArgumentException($"no sweep {id}");
        return new SweepProgress(r.GetInt64(0), r.GetString(1), r.GetString(2), (int)r.GetInt64(3), (int)r.GetInt64(4), (int)r.GetInt64(5),
            (int)r.GetInt64(6), (int)r.GetInt64(7), (int)r.GetInt64(8), (int)r.GetInt64(9), (int)r.GetInt64(10), (int)r.GetInt64(11), (int)r.GetInt64(12));
    }

    public static async Task<IReadOnlyList<ExperimentLine>> ExperimentsAsync(string connectionString, long sweepId)
    {
        await using var conn = await Open(connectionString);
        await using var cmd = new NpgsqlCommand("""
            select experiment_id, model, task, settings_key, seed, stage, status, error, baseline_accuracy, routed_accuracy, delta, layers_saved,
                   coalesce(trees_done, 0), coalesce(trees, 0)
            from v_experiments where sweep_id = $1 order by experiment_id
            """, conn);
        cmd.Parameters.Add(new() { Value = sweepId });
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<ExperimentLine>();
        double? D(int i) => r.IsDBNull(i) ? null : Convert.ToDouble(r.GetValue(i));
        while (await r.ReadAsync())
            list.Add(new ExperimentLine(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetString(5), r.GetString(6),
                r.IsDBNull(7) ? null : r.GetString(7), D(8), D(9), D(10), D(11), r.GetInt64(12), r.GetInt64(13)));
        return list;
    }

    /// <summary>The sweep's failures, and the load failures of the models it uses.</summary>
    public static async Task<IReadOnlyList<(string Actor, string Key, string? Node, string Reason)>> FailuresAsync(string connectionString, long sweepId)
    {
        await using var conn = await Open(connectionString);
        await using var cmd = new NpgsqlCommand("""
            select actor, actor_key, node_id, reason from failures
            where sweep_id = $1
               or (sweep_id is null and actor = 'ModelHost'
                   and reverse(split_part(reverse(actor_key), '/', 1)) in (select model from experiments where sweep_id = $1))
            order by id
            """, conn);
        cmd.Parameters.Add(new() { Value = sweepId });
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<(string, string, string?, string)>();
        while (await r.ReadAsync()) list.Add((r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3)));
        return list;
    }

    public static async Task<IReadOnlyList<NodeLine>> NodesAsync(string connectionString)
    {
        await using var conn = await Open(connectionString);
        await using var cmd = new NpgsqlCommand("select id, host, pid, concurrency, status, heartbeat_age_s, models from v_nodes order by started_at", conn);
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<NodeLine>();
        while (await r.ReadAsync())
            list.Add(new NodeLine(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.GetString(4), Convert.ToDouble(r.GetValue(5)), r.GetString(6)));
        return list;
    }
}
