using System.Diagnostics;
using DrLlm.Cluster.Data;
using DrLlm.Cluster.Hosts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DrLlm.Cluster.Silo;

/// <summary>
/// One node (<c>drllm node</c>): migrates the database, registers itself, loads its models (once each; a model that fails
/// to load is recorded and not served), then runs an Orleans silo that publishes the models it loaded, until
/// <paramref name="stop"/> fires (Ctrl-C, SIGTERM): then running work checkpoints and hands itself back, the silo
/// leaves the cluster, and the node row reads 'left'.
/// </summary>
public static class NodeHost
{
    public static async Task RunAsync(NodeOptions options, CancellationToken stop, TextWriter? log = null)
    {
        options.Validate();
        options = options with { ConnectionString = ClusterDatabase.Checked(options.ConnectionString) };
        ThreadPool.SetMinThreads(Math.Max(32, 4 * options.Concurrency * options.Models.Count), 32);
        var node = new SiloNode(options, log ?? Console.Error);
        try { await Migrator.MigrateAsync(options.ConnectionString); }
        catch (Exception e) when (ClusterDatabase.IsUnreachable(e)) { throw ClusterDatabase.Unreachable(options.ConnectionString, e); }

        await using var store = new ClusterStore(options);
        // A node id is taken over from a node that left or was lost (a machine restarted, a killed silo started again);
        // one that is up, its heartbeat younger than the 15 s after which it reads lost, keeps it.
        var took = await store.Scalar<string>("""
            insert into nodes (id, host, pid, concurrency, status) values ($1, $2, $3, $4, 'up')
            on conflict (id) do update set host = excluded.host, pid = excluded.pid, concurrency = excluded.concurrency, status = 'up',
                started_at = now(), heartbeat_at = now(), left_at = null
            where nodes.status in ('left', 'lost') or nodes.heartbeat_at < now() - interval '15 seconds'
            returning id
            """, node.Id, Environment.MachineName, Environment.ProcessId, options.Concurrency);
        if (took is null)
        {
            var holder = await store.Rows("select host, pid, round(extract(epoch from now() - heartbeat_at)::numeric, 1)::float8 from nodes where id = $1",
                r => $"pid {r.GetInt32(1)} on {r.GetString(0)}, heartbeat {r.GetDouble(2).ToString(System.Globalization.CultureInfo.InvariantCulture)} s ago", node.Id);
            throw new InvalidOperationException($"--id {node.Id}: a node with this id is up ({holder.FirstOrDefault() ?? "?"}); " +
                "stop it or give this one another --id (an id is free again once its node left or 15 s after its last heartbeat)");
        }
        node.Log($"node {node.Id} joined ({options.Models.Count} model(s), concurrency {options.Concurrency})");
        var loaded = new Dictionary<string, IModelHost>();
        foreach (var (name, source) in options.Models)
            if (await Load(store, node, name, source, options.Threads) is { } h) loaded[name] = h;
        using var hosts = new ModelHosts(loaded, options.Concurrency);
        await store.WarmUp();

        var builder = Host.CreateApplicationBuilder([]);
        builder.AddDrLlmNode(options, node, store, hosts);
        using var host = builder.Build();
        await host.StartAsync(CancellationToken.None);
        // One call to each local ModelHost grain: the first activation on a silo pays for loading and compiling the
        // activation path (hundreds of ms on a busy machine); paid here, not by the first work grain placed here.
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        foreach (var model in loaded.Keys) await grains.GetGrain<Grains.IModelHostGrain>(GrainKeys.ModelHost(model, node.Id)).Info();
        node.Log($"silo active at {options.Advertise}; serving: {(loaded.Count == 0 ? "no model" : string.Join(", ", loaded.Keys.Select(m => "model " + m)))}");
        try { await Task.Delay(Timeout.Infinite, stop); } catch (OperationCanceledException) { }

        node.Log($"node {node.Id} leaving: running work checkpoints and is handed back");
        try { await store.Exec("update nodes set status = 'leaving' where id = $1", node.Id); } catch (Exception e) when (Retry.IsTransient(e)) { }
        node.BeginLeaving();
        await host.StopAsync(CancellationToken.None);
        try
        {
            await store.Exec("update model_hosts set status = 'stopped' where node_id = $1 and status = 'ready'", node.Id);
            await store.Exec("update nodes set status = 'left', left_at = now() where id = $1", node.Id);
        }
        catch (Exception e) when (Retry.IsTransient(e)) { node.Log($"could not record leaving: {e.Message}"); }
        node.Log($"node {node.Id} left");
    }

    /// <summary>Loads one model and registers it: one name means one set of weights cluster-wide (checked by hash).</summary>
    private static async Task<IModelHost?> Load(ClusterStore store, SiloNode node, string name, string source, int threads)
    {
        await store.Exec("""
            insert into model_hosts (node_id, model, path, status) values ($1, $2, $3, 'loading')
            on conflict (node_id, model) do update set status = 'loading', path = excluded.path, error = null
            """, node.Id, name, source);
        var sw = Stopwatch.StartNew();
        IModelHost host;
        try { host = await Task.Run(() => ModelSources.Load(name, source, threads)); }
        catch (Exception e) when (e is IOException or FormatException or ArgumentException or InvalidOperationException
                                      or UnauthorizedAccessException or DrLlm.Engine.Model.ModelFormatException or DllNotFoundException)
        {
            await Refuse(store, node, name, $"model '{name}' failed to load from {source}: {e.Message}");
            return null;
        }
        var id = host.Identity;
        await store.Exec("""
            insert into base_models (name, path, format, sha256, blocks, hidden_size) values ($1, $2, $3, $4, $5, $6)
            on conflict (name) do nothing
            """, name, source, host.Format, id.Sha256, host.NumBlocks, id.HiddenSize);
        var registered = await store.Scalar<string>("select sha256 from base_models where name = $1", name);
        if (registered != id.Sha256)
        {
            host.Dispose();
            await Refuse(store, node, name, $"model '{name}' at {source} has weights sha256 {id.Sha256[..12]}…, but '{name}' is registered with " +
                $"{registered?[..12]}…: one name must mean one model; use another name");
            return null;
        }
        await store.Exec("update model_hosts set status = 'ready', load_seconds = $3, memory_bytes = $4, heartbeat_at = now() where node_id = $1 and model = $2",
            node.Id, name, sw.Elapsed.TotalSeconds, host.MemoryBytes);
        node.Log($"model {name} loaded ({host.Format}, {host.NumBlocks} blocks, {sw.Elapsed.TotalSeconds:F1} s)");
        return host;
    }

    private static async Task Refuse(ClusterStore store, SiloNode node, string name, string reason)
    {
        node.Log(reason);
        await store.Exec("update model_hosts set status = 'failed', error = $3 where node_id = $1 and model = $2", node.Id, name, reason);
        await store.Fail("ModelHost", $"{node.Id}/{name}", reason);
    }
}
