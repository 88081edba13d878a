using Npgsql;

namespace DrLlm.Cluster.Data;

/// <summary>
/// The intents a client writes (the CLI, the dashboard): a new sweep, a cancel. Both are rows in PostgreSQL that every
/// silo's watchdog picks up within a second, so a client needs no connection to a silo, works while none is up (the
/// sweep waits), and answers within seconds when the database is away (ClusterDatabase). Reads go through ClusterViews.
/// </summary>
public static class ClusterIntents
{
    /// <summary>
    /// Inserts a validated sweep as 'queued' — its name, its normalised spec (<c>SweepSpec.ToJson</c>) and the text as
    /// written; a silo's Sweep grain expands it. Returns its id.
    /// </summary>
    public static async Task<long> LaunchAsync(string connectionString, string name, string normalizedSpec, string specText)
    {
        await using var conn = await ClusterDatabase.OpenAsync(connectionString);
        await using var cmd = new NpgsqlCommand("insert into sweeps (name, spec, spec_text, status) values ($1, $2::jsonb, $3, 'queued') returning id", conn);
        cmd.Parameters.Add(new() { Value = name });
        cmd.Parameters.Add(new() { Value = normalizedSpec });
        cmd.Parameters.Add(new() { Value = specText });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>Asks for a cancel; returns the status the sweep had. Finished sweeps are left as they are.</summary>
    public static async Task<string> CancelAsync(string connectionString, long id)
    {
        await using var conn = await ClusterDatabase.OpenAsync(connectionString);
        await using var cmd = new NpgsqlCommand("""
            with old as (select id, status from sweeps where id = $1 for update)
            update sweeps s set status = case when old.status in ('queued', 'running') then 'cancelling' else old.status end
            from old where s.id = old.id returning old.status
            """, conn);
        cmd.Parameters.Add(new() { Value = id });
        return (string?)await cmd.ExecuteScalarAsync() ?? throw new ArgumentException($"no sweep {id}");
    }
}
