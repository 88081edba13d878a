using System.Diagnostics;
using DrLlm.Cluster.Actors;
using DrLlm.Cluster.Data;
using DrLlm.Cluster.Hosts;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Quartz;

namespace DrLlm.Cluster.Node;

/// <summary>What <c>drllm node</c> is told: the database, the models to host, how many actors per model at once.</summary>
public sealed record NodeOptions(string ConnectionString, IReadOnlyList<(string Name, string Source)> Models, int Concurrency = 2,
    int Threads = 0, string? NodeId = null);

/// <summary>
/// One node of the cluster (one process): registers itself, loads its ModelHosts (once each), joins the Quartz cluster
/// serving the control group and the groups of the models it loaded, and keeps a heartbeat. Every second it also makes
/// sure each live sweep has its Sweep actor scheduled (the CLI and the dashboard only insert a sweeps row). On stop
/// (Ctrl-C, SIGTERM) it signals running actors to checkpoint and release their work, waits for them, and leaves.
/// </summary>
public sealed class ClusterNode
{
    private readonly NodeOptions _options;
    private readonly Dictionary<string, IModelHost> _hosts = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly TextWriter _log;

    public ClusterNode(NodeOptions options, TextWriter? log = null)
    {
        if (options.Concurrency < 1) throw new ArgumentException($"--concurrency must be ≥ 1, got {options.Concurrency}");
        _options = options;
        _log = log ?? Console.Error;
        Id = options.NodeId ?? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        Data = NpgsqlDataSource.Create(options.ConnectionString);
    }

    public string Id { get; }
    public NpgsqlDataSource Data { get; }
    public string ConnectionString => _options.ConnectionString;
    /// <summary>Cancelled when the node starts leaving: running actors checkpoint and hand their work back.</summary>
    public CancellationToken Stopping => _stopping.Token;
    public IScheduler Scheduler { get; private set; } = null!;

    public ClusterDb OpenDb() => ClusterDb.Open(_options.ConnectionString);

    public IModelHost? Host(string model) => _hosts.GetValueOrDefault(model);

    public void Log(string message)
    {
        lock (_log) _log.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {message}");
    }

    /// <summary>Executes a statement with positional parameters ($1, $2, …); returns the rows affected.</summary>
    public Task<int> Exec(string sql, params object?[] args) => Retry.Run(async () =>
    {
        await using var cmd = Data.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a ?? DBNull.Value });
        return await cmd.ExecuteNonQueryAsync();
    });

    /// <summary>The first column of the first row, or default.</summary>
    public Task<T?> Scalar<T>(string sql, params object?[] args) => Retry.Run(async () =>
    {
        await using var cmd = Data.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a ?? DBNull.Value });
        var r = await cmd.ExecuteScalarAsync();
        return r is null or DBNull ? default : (T)r;
    });

    /// <summary>Records a failure: what, where, why.</summary>
    public Task Fail(string actor, string key, string reason, long? sweepId = null, long? experimentId = null) =>
        Exec("insert into failures (actor, actor_key, sweep_id, experiment_id, node_id, reason) values ($1, $2, $3, $4, $5, $6)",
            actor, key, sweepId, experimentId, Id, reason);

    public async Task RunAsync(CancellationToken stop)
    {
        ThreadPool.SetMinThreads(Math.Max(32, 4 * _options.Concurrency * _options.Models.Count), 32);
        await Retry.Run(() => Migrator.MigrateAsync(_options.ConnectionString));
        await Exec("insert into nodes (id, host, pid, concurrency, status) values ($1, $2, $3, $4, 'up')",
            Id, Environment.MachineName, Environment.ProcessId, _options.Concurrency);
        Log($"node {Id} joined ({_options.Models.Count} model(s), concurrency {_options.Concurrency})");
        var ready = new List<string>();
        foreach (var (name, source) in _options.Models)
            if (await LoadHost(name, source)) ready.Add(name);

        await WarmUp();
        Scheduler = await Scheduling.Create(Id, _options.ConnectionString, ready, _options.Concurrency);
        Scheduler.Context.Add("node", this);
        await Scheduler.Start(CancellationToken.None);
        Log($"serving: control{string.Concat(ready.Select(m => ", model " + m))}");

        try
        {
            while (!stop.IsCancellationRequested)
            {
                try { await Tick(); }
                catch (Exception e) when (Retry.IsTransient(e) || e is SchedulerException) { Log($"heartbeat: database unavailable ({e.Message}); retrying"); }
                try { await Task.Delay(1000, stop); } catch (OperationCanceledException) { }
            }
        }
        finally { await Leave(); }
    }

    /// <summary>Builds the EF model and compiles the actors' queries before the node takes work, so its first actors do not
    /// pay for it (on a busy machine that is seconds).</summary>
    private async Task WarmUp()
    {
        await using var db = OpenDb();
        await Retry.Run(async () =>
        {
            await db.SearchTrees.AsNoTracking().SingleOrDefaultAsync(t => t.Id == -1);
            await db.Examples.AsNoTracking().SingleOrDefaultAsync(t => t.Id == -1);
            await db.Experiments.AsNoTracking().SingleOrDefaultAsync(t => t.Id == -1);
            await db.Sweeps.AsNoTracking().SingleOrDefaultAsync(t => t.Id == -1);
        });
        var tree = new DrLlm.Routing.Search.SearchTree(8, new DrLlm.Routing.Search.SearchOptions(), 1);
        _ = DrLlm.Routing.Search.SearchState.FromJson(tree.State.ToJson(), "warm-up");
    }

    private async Task<bool> LoadHost(string name, string source)
    {
        await Exec("""
            insert into model_hosts (node_id, model, path, status) values ($1, $2, $3, 'loading')
            on conflict (node_id, model) do update set status = 'loading', path = excluded.path, error = null
            """, Id, name, source);
        var sw = Stopwatch.StartNew();
        IModelHost host;
        try { host = await Task.Run(() => ModelSources.Load(name, source, _options.Threads)); }
        catch (Exception e) when (e is IOException or FormatException or ArgumentException or InvalidOperationException
                                      or UnauthorizedAccessException or DrLlm.Engine.Model.ModelFormatException or DllNotFoundException)
        {
            var reason = $"model '{name}' failed to load from {source}: {e.Message}";
            Log(reason);
            await Exec("update model_hosts set status = 'failed', error = $3 where node_id = $1 and model = $2", Id, name, reason);
            await Fail("ModelHost", $"{Id}/{name}", reason);
            return false;
        }
        // One name, one set of weights: register the model, or check it against the registration.
        var id = host.Identity;
        await Exec("""
            insert into base_models (name, path, format, sha256, blocks, hidden_size) values ($1, $2, $3, $4, $5, $6)
            on conflict (name) do nothing
            """, name, source, host.Format, id.Sha256, host.NumBlocks, id.HiddenSize);
        var registered = await Scalar<string>("select sha256 from base_models where name = $1", name);
        if (registered != id.Sha256)
        {
            var reason = $"model '{name}' at {source} has weights sha256 {id.Sha256[..12]}…, but '{name}' is registered with {registered?[..12]}…: " +
                "one name must mean one model; use another name";
            Log(reason);
            host.Dispose();
            await Exec("update model_hosts set status = 'failed', error = $3 where node_id = $1 and model = $2", Id, name, reason);
            await Fail("ModelHost", $"{Id}/{name}", reason);
            return false;
        }
        _hosts[name] = host;
        await Exec("update model_hosts set status = 'ready', load_seconds = $3, memory_bytes = $4, heartbeat_at = now() where node_id = $1 and model = $2",
            Id, name, sw.Elapsed.TotalSeconds, host.MemoryBytes);
        Log($"model {name} loaded ({host.Format}, {host.NumBlocks} blocks, {sw.Elapsed.TotalSeconds:F1} s)");
        return true;
    }

    private async Task Tick()
    {
        await Exec("update nodes set heartbeat_at = now(), status = case when status = 'lost' then 'up' else status end where id = $1", Id);
        await Exec("update model_hosts set heartbeat_at = now() where node_id = $1 and status = 'ready'", Id);
        await Exec("update nodes set status = 'lost' where status = 'up' and heartbeat_at < now() - interval '15 seconds'");
        var live = new List<long>();
        await Retry.Run(async () =>
        {
            live.Clear();
            await using var cmd = Data.CreateCommand("select id from sweeps where status in ('queued', 'running', 'cancelling') order by id");
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) live.Add(r.GetInt64(0));
        });
        foreach (var sweep in live)
        {
            var name = SweepJob.JobName(sweep);
            if (await Scheduler.Exists(new JobKey(name, Scheduling.SweepJobs), CancellationToken.None)) continue;
            if (await Scheduling.EnsureJob<SweepJob>(Scheduler, Scheduling.SweepJobs, name, sweep.ToString(), Scheduling.ControlGroup, TimeSpan.FromSeconds(1)))
                Log($"sweep {sweep}: actor scheduled");
        }
    }

    private async Task Leave()
    {
        Log($"node {Id} leaving: running actors checkpoint and release their work");
        try { await Exec("update nodes set status = 'leaving' where id = $1", Id); } catch (Exception e) when (Retry.IsTransient(e)) { }
        _stopping.Cancel();
        if (Scheduler is not null) await Scheduler.Shutdown(waitForJobsToComplete: true, CancellationToken.None);
        try
        {
            await Exec("update model_hosts set status = 'stopped' where node_id = $1 and status = 'ready'", Id);
            await Exec("update nodes set status = 'left', left_at = now() where id = $1", Id);
        }
        catch (Exception e) when (Retry.IsTransient(e)) { Log($"could not record leaving: {e.Message}"); }
        foreach (var h in _hosts.Values) h.Dispose();
        _hosts.Clear();
        await Data.DisposeAsync();
        Log($"node {Id} left");
    }
}
