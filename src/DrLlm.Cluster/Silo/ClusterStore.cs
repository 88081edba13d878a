using DrLlm.Cluster.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace DrLlm.Cluster.Silo;

/// <summary>
/// A silo's access to PostgreSQL: one pooled data source, statements with positional parameters retried through
/// outages (<see cref="Retry"/>: a restarted server is waited for up to 90 s), the EF context for the grains' reads,
/// and the failures table. Every write of a work grain goes through here, fenced by the row's attempt counter.
/// </summary>
public sealed class ClusterStore(NodeOptions options) : IAsyncDisposable
{
    public NpgsqlDataSource Data { get; } = NpgsqlDataSource.Create(options.ConnectionString);
    public string NodeId => options.NodeId;
    public string ConnectionString => options.ConnectionString;

    public ClusterDb OpenDb() => ClusterDb.Open(options.ConnectionString);

    /// <summary>Executes a statement with positional parameters ($1, $2, …); returns the rows affected.</summary>
    public Task<int> Exec(string sql, params object?[] args) => Retry.Run(async () =>
    {
        await using var cmd = Command(sql, args);
        return await cmd.ExecuteNonQueryAsync();
    });

    /// <summary>The first column of the first row, or default.</summary>
    public Task<T?> Scalar<T>(string sql, params object?[] args) => Retry.Run(async () =>
    {
        await using var cmd = Command(sql, args);
        var r = await cmd.ExecuteScalarAsync();
        return r is null or DBNull ? default : (T)r;
    });

    /// <summary>Every row of a query, each mapped as it is read.</summary>
    public Task<List<T>> Rows<T>(string sql, Func<NpgsqlDataReader, T> map, params object?[] args) => Retry.Run(async () =>
    {
        await using var cmd = Command(sql, args);
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<T>();
        while (await r.ReadAsync()) list.Add(map(r));
        return list;
    });

    private NpgsqlCommand Command(string sql, object?[] args)
    {
        var cmd = Data.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a ?? DBNull.Value });
        return cmd;
    }

    /// <summary>Records a failure: what, where, why.</summary>
    public Task Fail(string actor, string key, string reason, long? sweepId = null, long? experimentId = null) =>
        Exec("insert into failures (actor, actor_key, sweep_id, experiment_id, node_id, reason) values ($1, $2, $3, $4, $5, $6)",
            actor, key, sweepId, experimentId, NodeId, reason);

    /// <summary>Builds the EF model and compiles the grains' queries before the silo takes work, so its first grains do
    /// not pay for it (on a busy machine that is seconds).</summary>
    public async Task WarmUp()
    {
        await using var db = OpenDb();
        await Retry.Run(async () =>
        {
            await db.SearchTrees.AsNoTracking().SingleOrDefaultAsync(t => t.Id == -1);
            await db.Examples.AsNoTracking().SingleOrDefaultAsync(t => t.Id == -1);
            await db.Experiments.AsNoTracking().SingleOrDefaultAsync(t => t.Id == -1);
            await db.Sweeps.AsNoTracking().SingleOrDefaultAsync(t => t.Id == -1);
        });
    }

    public ValueTask DisposeAsync() => Data.DisposeAsync();
}
