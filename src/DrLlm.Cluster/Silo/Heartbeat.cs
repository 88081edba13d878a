using DrLlm.Cluster.Data;
using Microsoft.Extensions.Hosting;

namespace DrLlm.Cluster.Silo;

/// <summary>The node's row and its model hosts' rows, refreshed every second (v_nodes: a node whose heartbeat is older
/// than 15 s reads 'lost'; any live node marks such rows lost for good).</summary>
public sealed class Heartbeat(ClusterStore store, SiloNode node) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await store.Exec("update nodes set heartbeat_at = now(), status = case when status = 'lost' then 'up' else status end where id = $1", node.Id);
                    await store.Exec("update model_hosts set heartbeat_at = now() where node_id = $1 and status = 'ready'", node.Id);
                    await store.Exec("update nodes set status = 'lost' where status = 'up' and heartbeat_at < now() - interval '15 seconds'");
                }
                catch (Exception e) when (Retry.IsTransient(e)) { node.Log($"heartbeat: database unavailable ({e.Message}); retrying"); }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
    }
}
