using System.Text.Json;
using System.Text.Json.Serialization;
using DrLlm.Cluster.Node;
using DrLlm.Tasks;
using Quartz;
using ClusterNode = DrLlm.Cluster.Node.ClusterNode;

namespace DrLlm.Cluster.Actors;

/// <summary>
/// Base of the actor jobs: the actor's identity is the job's key (one job per actor), <c>[DisallowConcurrentExecution]</c>
/// on each subclass keeps it to one running copy in the cluster, and jobs are scheduled with RequestRecovery so a
/// killed node's actors are re-run by a survivor. The work runs on a thread of its own (it blocks on the model).
/// </summary>
public abstract class ActorJob : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var node = (ClusterNode)context.Scheduler.Context["node"]!;
        long id = long.Parse(context.MergedJobDataMap.GetString("id")!);
        await Task.Factory.StartNew(() =>
        {
            try { Run(node, id, context).GetAwaiter().GetResult(); }
            catch (Exception e) { node.Log($"{GetType().Name} {id}: {e.GetType().Name}: {e.Message}"); }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    protected abstract Task Run(ClusterNode node, long id, IJobExecutionContext context);

    /// <summary>
    /// Claims row <paramref name="id"/> of an actor table (pending or running → running on this node) by bumping its fencing
    /// token; <paramref name="alsoSet"/> adds the table's own assignments. Returns the new token, or 0 when the row is no
    /// longer claimable (finished, failed or cancelled). Every later write of this execution checks the token.
    /// </summary>
    protected static Task<int> Claim(ClusterNode node, string table, long id, string alsoSet) => node.Scalar<int>($"""
        update {table} set status = 'running', node_id = $2, attempt = attempt + 1, {alsoSet}, updated_at = now()
        where id = $1 and status in ('pending', 'running') returning attempt
        """, id, node.Id);

    /// <summary>
    /// Marks row <paramref name="id"/> failed with <paramref name="reason"/> while this execution still holds it, records the
    /// failure for the sweep (only when the row was still ours), and logs it.
    /// </summary>
    protected static async Task FailRow(ClusterNode node, string table, long id, int attempt, string actor, string key, string reason,
        long sweepId, long experimentId)
    {
        int n = await node.Exec($"update {table} set status = 'failed', error = $3, updated_at = now() where id = $1 and attempt = $2 and status = 'running'", id, attempt, reason);
        if (n == 1) await node.Fail(actor, key, reason, sweepId, experimentId);
        node.Log($"{key}: failed: {reason}");
    }

    /// <summary>Errors a person can act on (bad files, bad data, mismatched models): the actor fails with the message.</summary>
    public static bool IsUserError(Exception e) => e is FormatException or ArgumentException or IOException or InvalidOperationException
        or DrLlm.Engine.Model.ModelFormatException or DrLlm.Routing.Routers.RouterMismatchException or NotSupportedException;

    public static readonly JsonSerializerOptions ItemJson = new() { Converters = { new JsonStringEnumConverter() } };

    public static TaskItem ReadItem(string json, string where) =>
        JsonSerializer.Deserialize<TaskItem>(json, ItemJson) ?? throw new FormatException($"{where}: empty task item");
}

/// <summary>Thrown inside a running actor when another execution has taken its work over (its fencing token is stale) or the
/// sweep was cancelled: the execution stops without writing.</summary>
public sealed class SupersededException(string message) : Exception(message);

/// <summary>Thrown inside a running actor after it saved its state because the node is leaving.</summary>
public sealed class ReleasedException() : Exception("node leaving");
