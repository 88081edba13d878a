using System.Text.Json;
using System.Text.Json.Serialization;
using DrLlm.Cluster.Hosts;
using DrLlm.Cluster.Placement;
using DrLlm.Cluster.Silo;
using DrLlm.Tasks;

namespace DrLlm.Cluster.Grains;

/// <summary>
/// What the three work grains share. <see cref="Start"/> launches the work on a thread of its own (it blocks on the
/// model; the Orleans scheduler never runs it) and returns; the work claims its row, then waits for one of the model
/// host's slots (<see cref="TakeSlot"/>); the grain keeps answering <see cref="Progress"/>. A keep-alive timer holds the activation while the work runs. When the activation
/// goes (the silo leaves, or is shutting down) the work is told to stop, checkpoints and hands its row back as pending.
/// Every write of the work is fenced by the row's attempt counter, bumped when the work claims the row, so a superseded
/// activation (its silo presumed dead while still finishing a turn) can never overwrite its successor's checkpoint.
/// </summary>
[ModelPlacement]
public abstract class WorkGrain(ClusterStore store, ModelHosts hosts, SiloNode node) : Grain, IWorkGrain
{
    private Task? _work;
    private CancellationTokenSource? _stop;
    private IGrainTimer? _keepAlive;
    private volatile string? _lastError;
    private int _step;
    private long _sweepId = -1;

    protected ClusterStore Store => store;
    protected SiloNode Node => node;
    protected string Key => this.GetPrimaryKeyString();
    protected long Id => GrainKeys.IdOf(Key);
    protected string Model => GrainKeys.ModelOf(Key)!;
    /// <summary>Simulations, epochs or examples done by this activation (for Progress).</summary>
    protected void Stepped(int step) => Volatile.Write(ref _step, step);

    /// <summary>The sweep to tell when this work ends, so it dispatches the next work into the freed slot at once
    /// instead of at its next tick.</summary>
    protected void ReportTo(long sweepId) => Volatile.Write(ref _sweepId, sweepId);

    public Task Start()
    {
        if (_work is { IsCompleted: false }) return Task.CompletedTask;
        var host = hosts.Get(Model) ?? throw new InvalidOperationException($"{Key}: node {node.Id} does not host model '{Model}'");
        _stop = CancellationTokenSource.CreateLinkedTokenSource(node.Leaving);
        var stop = _stop.Token;
        _work = Task.Run(() => RunOffScheduler(host, stop)); // off the activation's scheduler, from the first line
        _keepAlive ??= this.RegisterGrainTimer(() =>
        {
            if (_work is { IsCompleted: true }) { _keepAlive?.Dispose(); _keepAlive = null; }
            return Task.CompletedTask;
        }, new GrainTimerCreationOptions(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30)) { KeepAlive = true });
        return Task.CompletedTask;
    }

    private async Task RunOffScheduler(IModelHost host, CancellationToken stop)
    {
        try
        {
            // A thread of its own: the work blocks on the model for seconds to minutes (and waits for its slot there).
            await Task.Factory.StartNew(() => Run(host, stop).GetAwaiter().GetResult(), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (Exception e)
        {
            // Not a user error (those fail the row inside Run): log it; the Sweep grain re-starts the work, and gives up
            // after SweepGrain.MaxExecutions executions with this message in the row.
            _lastError = $"{e.GetType().Name}: {e.Message}";
            node.Log($"{Key}: {_lastError}");
            await RecordError(_lastError);
        }
        long sweep = Volatile.Read(ref _sweepId);
        if (sweep < 0 || stop.IsCancellationRequested) return;
        try { await GrainFactory.GetGrain<ISweepGrain>(sweep).WorkEnded().WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception e) when (e is TimeoutException or OrleansException or SiloUnavailableException)
        {
            // Only a shortcut: the sweep's next tick dispatches the freed slot anyway.
            node.Log($"{Key}: could not tell sweep {sweep} it ended ({e.GetType().Name}); its next tick will see it");
        }
    }

    public Task<WorkProgress> Progress() =>
        Task.FromResult(new WorkProgress(Key, _work is { IsCompleted: false }, node.Id, Volatile.Read(ref _step), _lastError));

    public Task Cancel()
    {
        _stop?.Cancel();
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_work is { IsCompleted: false } work)
        {
            _stop?.Cancel();
            try { await work.WaitAsync(TimeSpan.FromSeconds(25), cancellationToken); }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                node.Log($"{Key}: still running at deactivation ({reason.Description}); its row is fenced, a successor resumes it");
            }
        }
    }

    /// <summary>
    /// One of the model host's slots, taken after the work claimed its row: a claimed row waiting here counts as running on
    /// this silo, so the Sweep grain can hand a silo a little more than its slots (SweepGrain.Prefetch) and a freed slot
    /// is taken at once, without a round trip. Stopped while waiting: <see cref="ReleasedException"/> (the row is handed
    /// back like any stopped work).
    /// </summary>
    protected async Task<IDisposable> TakeSlot(CancellationToken stop)
    {
        try { return await hosts.SlotsOf(Model).Take(stop); }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { throw new ReleasedException(); }
    }

    /// <summary>The work itself: claim the row, take a slot, run from its checkpoint, write the result; on
    /// <paramref name="stop"/>, checkpoint and hand the row back.</summary>
    protected abstract Task Run(IModelHost host, CancellationToken stop);

    /// <summary>Stores an unexpected error on the row (shown by the sweep's status) without changing its status.</summary>
    protected abstract Task RecordError(string error);

    /// <summary>
    /// Claims row <paramref name="id"/> of a work table (pending or running → running on this node) by bumping its fencing
    /// token; <paramref name="alsoSet"/> adds the table's own assignments. Returns the new token, or 0 when the row is no
    /// longer claimable (finished, failed or cancelled). Every later write of this execution checks the token.
    /// </summary>
    protected Task<int> Claim(string table, long id, string alsoSet) => store.Scalar<int>($"""
        update {table} set status = 'running', node_id = $2, attempt = attempt + 1, {alsoSet}, updated_at = now()
        where id = $1 and status in ('pending', 'running') returning attempt
        """, id, node.Id);

    /// <summary>Hands a claimed row back as pending (this node is leaving), if this execution still holds it.</summary>
    protected Task Release(string table, long id, int attempt, string alsoSet = "") => store.Exec($"""
        update {table} set status = 'pending', node_id = null{alsoSet}, updated_at = now()
        where id = $1 and attempt = $2 and status = 'running'
        """, id, attempt);

    /// <summary>Marks the row failed with <paramref name="reason"/> while this execution still holds it, records the failure
    /// for the sweep (only when the row was still ours), and logs it.</summary>
    protected async Task FailRow(string table, long id, int attempt, string actor, string key, string reason, long sweepId, long experimentId)
    {
        int n = await store.Exec($"update {table} set status = 'failed', error = $3, updated_at = now() where id = $1 and attempt = $2 and status = 'running'",
            id, attempt, reason);
        if (n == 1) await store.Fail(actor, key, reason, sweepId, experimentId);
        node.Log($"{key}: failed: {reason}");
    }

    /// <summary>Errors a person can act on (bad files, bad data, mismatched models): the work fails with the message.</summary>
    public static bool IsUserError(Exception e) => e is FormatException or ArgumentException or IOException or InvalidOperationException
        or DrLlm.Engine.Model.ModelFormatException or DrLlm.Routing.Routers.RouterMismatchException or NotSupportedException;

    public static readonly JsonSerializerOptions ItemJson = new() { Converters = { new JsonStringEnumConverter() } };

    public static TaskItem ReadItem(string json, string where) =>
        JsonSerializer.Deserialize<TaskItem>(json, ItemJson) ?? throw new FormatException($"{where}: empty task item");
}

/// <summary>Thrown inside running work when another execution has taken it over (its fencing token is stale) or the sweep
/// was cancelled: the work stops without writing.</summary>
public sealed class SupersededException(string message) : Exception(message);

/// <summary>Thrown inside running work after it saved its state because it was told to stop (node leaving).</summary>
public sealed class ReleasedException() : Exception("stopped: checkpointed and released");
