using DrLlm.Cluster.Data;
using DrLlm.Cluster.Placement;
using DrLlm.Cluster.Silo;
using Microsoft.EntityFrameworkCore;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace DrLlm.Cluster.Grains;

/// <summary>
/// The Sweep grain (the sweep's row id). Woken by every silo's <see cref="Watchdog"/> while the sweep is live, it ticks
/// every second: a queued sweep is expanded; a cancelling one cancelled; a running one advances each experiment
/// search → train → evaluate → done and dispatches the open work of each experiment's stage. Dispatch is where
/// failover and scale-out happen: work that is pending, or marked running on a silo that is no longer an active member
/// of the cluster, is started on the live silo hosting its model with the most free slots (slots: drllm node
/// --concurrency, from silo metadata; busy: running rows in PostgreSQL, plus what this grain started and the row does
/// not show yet), through a placement hint; the new activation resumes from the row's checkpoint. Work running on live
/// silos is poked every 10 s (a no-op where it runs; a restart where its work ended without a result). A model no live
/// silo hosts leaves its experiments waiting, with the reason in experiments.waiting, until a silo that hosts it joins.
/// </summary>
public sealed class SweepGrain(ClusterStore store, SiloNode node, IClusterMembershipService membership, ISiloMetadataCache metadata)
    : Grain, ISweepGrain
{
    /// <summary>A search tree started this many times without finishing is failed rather than retried for ever.</summary>
    public const int MaxExecutions = 6;
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PokeEvery = TimeSpan.FromSeconds(10);
    /// <summary>
    /// Work handed to a silo beyond its slots: it claims its row and waits in the silo for a slot, so a slot freed by
    /// finished work is refilled at once instead of after a round trip through this grain (the benchmark's idle-slot
    /// overhead). As many as the slots (double buffering): trees of equal length end together, and with half as many
    /// the other half of the slots waited for a round trip each time (3 silos: 87-94% of slot time busy). The cost is at
    /// the end of a sweep: a silo may still hold up to one tree per slot queued while another idles.
    /// </summary>
    public static int Prefetch(int slots) => slots;
    /// <summary>How long a start counts against its silo's slots before the row shows it running.</summary>
    private static readonly TimeSpan StartGrace = TimeSpan.FromSeconds(15);

    private IGrainTimer? _timer;
    private int _ticks, _started;
    private string _status = "unknown";
    private DateTime _lastPoke = DateTime.MinValue;
    private readonly Dictionary<string, (string Node, DateTime At)> _recent = [];

    private long Id => this.GetPrimaryKeyLong();

    public Task Wake()
    {
        _timer ??= this.RegisterGrainTimer(Tick, new GrainTimerCreationOptions(TimeSpan.Zero, TimeSpan.FromSeconds(1)) { KeepAlive = true });
        return Task.CompletedTask;
    }

    public async Task WorkEnded()
    {
        if (_timer is null) return; // not advancing (ended, or not yet woken): the watchdog's wake starts the ticks
        await Tick(CancellationToken.None);
    }

    public Task<SweepActivity> Activity() => Task.FromResult(new SweepActivity(Id, _status, node.Id, _ticks, _started));

    private async Task Tick(CancellationToken ct)
    {
        _ticks++;
        try
        {
            if (await Advance()) return;
            _timer?.Dispose();
            _timer = null;
            DeactivateOnIdle();
        }
        catch (Exception e) when (Retry.IsTransient(e)) { node.Log($"sweep {Id}: database unavailable, next tick retries ({e.Message})"); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Unexpected: logged with its type; the next tick tries again (the sweep's state is all in PostgreSQL).
            node.Log($"sweep {Id}: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>One step of the sweep's life; false once it has ended.</summary>
    private async Task<bool> Advance()
    {
        await using var db = store.OpenDb();
        var sweep = await db.Sweeps.AsNoTracking().SingleOrDefaultAsync(s => s.Id == Id);
        if (sweep is null) return false;
        var status = StatusText.Parse<SweepStatus>(sweep.Status);
        _status = sweep.Status;
        switch (status)
        {
            case SweepStatus.Queued:
                await SweepExpansion.Expand(store, node, sweep);
                return await Advance(); // dispatch at once (the sweep is running now, or failed to expand)
            case SweepStatus.Cancelling: await SweepExpansion.Cancel(store, node, sweep); return false;
            case SweepStatus.Running: break;
            default: return false;
        }

        var experiments = await db.Experiments.AsNoTracking().Where(e => e.SweepId == Id).OrderBy(e => e.Id).ToListAsync();
        var open = new List<WorkItem>();
        foreach (var e in experiments.Where(e => e.Status == ExperimentStatus.Running.Db()))
        {
            switch (StatusText.Parse<ExperimentStage>(e.Stage))
            {
                case ExperimentStage.Search:
                {
                    var trees = await db.SearchTrees.AsNoTracking().Where(t => t.ExperimentId == e.Id)
                        .Select(t => new { t.Id, t.Status, t.NodeId, t.Executions, t.Error }).ToListAsync();
                    var pending = trees.Where(t => StatusText.Parse<WorkStatus>(t.Status).IsOpen()).ToList();
                    open.AddRange(pending.Select(t => new WorkItem(GrainKeys.SearchTree(e.Model, t.Id), e, t.Status, t.NodeId, t.Executions, t.Error)));
                    if (pending.Count > 0) break;
                    if (trees.Any(t => t.Status == WorkStatus.Done.Db()))
                        await store.Exec("update experiments set stage = 'train', updated_at = now() where id = $1 and stage = 'search'", e.Id);
                    else
                        await FailExperiment(e, $"every search failed ({trees.Count} examples){(trees.FirstOrDefault()?.Error is { } err ? $"; first: {err}" : "")}");
                    break;
                }
                case ExperimentStage.Train:
                {
                    var run = await db.TrainingRuns.AsNoTracking().SingleAsync(r => r.ExperimentId == e.Id);
                    var s = StatusText.Parse<WorkStatus>(run.Status);
                    if (s == WorkStatus.Done)
                        await store.Exec("update experiments set stage = 'evaluate', updated_at = now() where id = $1 and stage = 'train'", e.Id);
                    else if (s is WorkStatus.Failed or WorkStatus.Cancelled)
                        await FailExperiment(e, $"router training failed: {run.Error}");
                    else
                        open.Add(new WorkItem(GrainKeys.TrainingJob(e.Model, e.Id), e, run.Status, run.NodeId, 0, run.Error));
                    break;
                }
                case ExperimentStage.Evaluate:
                {
                    var evals = await db.Evaluations.AsNoTracking().Where(v => v.ExperimentId == e.Id).ToListAsync();
                    var pending = evals.Where(v => StatusText.Parse<WorkStatus>(v.Status).IsOpen()).ToList();
                    open.AddRange(pending.Select(v => new WorkItem(GrainKeys.Evaluation(e.Model, v.Id), e, v.Status, v.NodeId, 0, v.Error)));
                    if (pending.Count > 0) break;
                    var failed = evals.Where(v => v.Status != WorkStatus.Done.Db()).ToList();
                    if (failed.Count == 0)
                        await store.Exec("update experiments set stage = 'done', status = 'done', waiting = null, updated_at = now() where id = $1", e.Id);
                    else
                        await FailExperiment(e, string.Join("; ", failed.Select(v => $"evaluation on {v.Task} failed: {v.Error}")));
                    break;
                }
            }
        }
        if (open.Count > 0) await Dispatch(open);

        int unfinished = await db.Experiments.CountAsync(e => e.SweepId == Id && e.Status != "done" && e.Status != "failed" && e.Status != "cancelled");
        if (unfinished > 0) return true;
        await store.Exec("update sweeps set status = 'done', finished_at = now() where id = $1 and status = 'running'", Id);
        node.Log($"sweep {Id} ({sweep.Name}) finished");
        return false;
    }

    /// <summary>An open unit of work: its grain key, experiment, and the row's status, node and executions.</summary>
    private sealed record WorkItem(string Key, ExperimentRow Experiment, string Status, string? NodeId, int Executions, string? Error);

    /// <summary>A live silo as dispatch sees it.</summary>
    private sealed record LiveSilo(string Node, HashSet<string> Models, int Slots);

    private List<LiveSilo> LiveSilos() =>
        [.. membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => metadata.GetSiloMetadata(m.SiloAddress))
            .Where(md => SiloFacts.Node(md) is not null)
            .Select(md => new LiveSilo(SiloFacts.Node(md)!, [.. md.Metadata.GetValueOrDefault(SiloFacts.ModelsKey, "").Split(',', StringSplitOptions.RemoveEmptyEntries)],
                SiloFacts.Concurrency(md)))];

    private async Task Dispatch(List<WorkItem> open)
    {
        var silos = LiveSilos();
        var live = silos.Select(s => s.Node).ToHashSet();
        var busy = (await store.Rows("""
            select x.node_id, e.model, count(*) from (
                select node_id, experiment_id from search_trees where status = 'running'
                union all select node_id, experiment_id from training_runs where status = 'running'
                union all select node_id, experiment_id from evaluations where status = 'running') x
            join experiments e on e.id = x.experiment_id where x.node_id is not null group by x.node_id, e.model
            """, r => (Node: r.GetString(0), Model: r.GetString(1), Count: (int)r.GetInt64(2))))
            .ToDictionary(x => (x.Node, x.Model), x => x.Count);
        var now = DateTime.UtcNow;
        var byKey = open.ToDictionary(w => w.Key);
        foreach (var (key, (n, at)) in _recent.ToList())
        {
            // A recent start counts against its silo until its row says it runs there (then the query counts it) or the
            // grace passes (its start failed; dispatch tries again).
            if (!byKey.TryGetValue(key, out var w) || now - at > StartGrace || (w.Status == WorkStatus.Running.Db() && w.NodeId == n))
                _recent.Remove(key);
            else
                busy[(n, w.Experiment.Model)] = busy.GetValueOrDefault((n, w.Experiment.Model)) + 1;
        }

        bool poke = now - _lastPoke >= PokeEvery;
        if (poke) _lastPoke = now;
        var calls = new List<Task>();
        var waiting = new Dictionary<long, string?>();
        foreach (var w in open)
        {
            bool runsOnLiveSilo = w.Status == WorkStatus.Running.Db() && w.NodeId is not null && live.Contains(w.NodeId);
            if (runsOnLiveSilo || _recent.ContainsKey(w.Key))
            {
                waiting.TryAdd(w.Experiment.Id, null);
                if (runsOnLiveSilo && poke) calls.Add(Call(w, hint: null));
                continue;
            }
            if (GrainKeys.KindOf(w.Key) == GrainKeys.TreeKind && w.Executions >= MaxExecutions)
            {
                var reason = $"search tree {GrainKeys.IdOf(w.Key)} gave up after {w.Executions} executions{(w.Error is null ? "" : $": {w.Error}")}";
                await store.Exec("update search_trees set status = 'failed', error = $2, updated_at = now() where id = $1 and status in ('pending', 'running')",
                    GrainKeys.IdOf(w.Key), reason);
                await store.Fail("SearchTree", $"tree-{GrainKeys.IdOf(w.Key)}", reason, Id, w.Experiment.Id);
                continue;
            }
            var model = w.Experiment.Model;
            var hosting = silos.Where(s => s.Models.Contains(model)).ToList();
            if (hosting.Count == 0)
            {
                waiting[w.Experiment.Id] = $"no live silo hosts model '{model}'; start one with drllm node --models {model}=PATH";
                continue;
            }
            waiting.TryAdd(w.Experiment.Id, null);
            int Free(LiveSilo s) => s.Slots + Prefetch(s.Slots) - busy.GetValueOrDefault((s.Node, model));
            var best = hosting.MaxBy(Free)!;
            if (Free(best) <= 0) continue;
            busy[(best.Node, model)] = busy.GetValueOrDefault((best.Node, model)) + 1;
            _recent[w.Key] = (best.Node, now);
            _started++;
            calls.Add(Call(w, best.Node));
        }
        foreach (var (experiment, reason) in waiting)
            await store.Exec("update experiments set waiting = $2 where id = $1 and waiting is distinct from $2", experiment, reason);
        await Task.WhenAll(calls);
    }

    /// <summary>Starts (or pokes) one work grain, on <paramref name="hint"/>'s silo when it activates; bounded in time, so
    /// a silo that hangs cannot stall the sweep. A failed start is logged and retried by a later tick.</summary>
    private async Task Call(WorkItem w, string? hint)
    {
        var grain = WorkGrainFor(w.Key);
        try
        {
            if (hint is null) await grain.Start().WaitAsync(CallTimeout);
            else await SiloHint.With(hint, () => grain.Start()).WaitAsync(CallTimeout);
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or NoSiloHostsModelException or SiloUnavailableException
                                      or InvalidOperationException or TaskCanceledException)
        {
            _recent.Remove(w.Key);
            node.Log($"sweep {Id}: starting {w.Key}{(hint is null ? "" : $" on {hint}")} failed, retried next tick: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>The work grain a key names, by its kind.</summary>
    private IWorkGrain WorkGrainFor(string key) => GrainKeys.KindOf(key) switch
    {
        GrainKeys.TreeKind => GrainFactory.GetGrain<ISearchTreeGrain>(key),
        GrainKeys.TrainKind => GrainFactory.GetGrain<ITrainingJobGrain>(key),
        GrainKeys.EvalKind => GrainFactory.GetGrain<IEvaluationGrain>(key),
        var k => throw new FormatException($"grain key '{key}': unknown work kind '{k}'"),
    };

    private async Task FailExperiment(ExperimentRow e, string reason)
    {
        await store.Exec("update experiments set status = 'failed', error = $2, waiting = null, updated_at = now() where id = $1 and status not in ('done', 'failed', 'cancelled')", e.Id, reason);
        await store.Fail("Experiment", $"experiment-{e.Id}", reason, e.SweepId, e.Id);
        node.Log($"experiment {e.Id} failed: {reason}");
    }
}
