using System.Text.Json;
using DrLlm.Cluster.Data;
using DrLlm.Cluster.Node;
using DrLlm.Cluster.Spec;
using DrLlm.Routing.Search;
using Microsoft.EntityFrameworkCore;
using Quartz;
using ClusterNode = DrLlm.Cluster.Node.ClusterNode;

namespace DrLlm.Cluster.Actors;

/// <summary>
/// The Sweep actor (identity: the sweep). Fires every second on whichever node holds it. First it expands the spec
/// into experiments, examples, search trees, a training run and evaluations per experiment (one transaction, so a
/// crash mid-way leaves nothing half-made); then each tick it advances every experiment search → train → evaluate →
/// done, and reconciles: any actor whose work is unfinished and whose Quartz job is gone (its node left, or it gave
/// its work back) is scheduled again. A sweep being cancelled has its unfinished work marked cancelled.
/// </summary>
[DisallowConcurrentExecution]
public sealed class SweepJob : ActorJob
{
    /// <summary>An actor that ran this many times without finishing is failed rather than retried for ever.</summary>
    public const int MaxExecutions = 6;

    public static string JobName(long sweepId) => $"sweep-{sweepId}";
    public static string TreeJob(long id) => $"tree-{id}";
    public static string TrainJob(long experimentId) => $"train-{experimentId}";
    public static string EvalJob(long id) => $"eval-{id}";

    protected override async Task Run(ClusterNode node, long id, IJobExecutionContext context)
    {
        try { await Advance(node, id, context.Scheduler); }
        catch (Exception e) when (Retry.IsTransient(e)) { node.Log($"sweep {id}: database unavailable, next tick retries ({e.Message})"); }
    }

    private static async Task Advance(ClusterNode node, long id, IScheduler scheduler)
    {
        await using var db = node.OpenDb();
        var sweep = await db.Sweeps.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id);
        if (sweep is null || sweep.Status is "done" or "cancelled" or "failed")
        {
            await scheduler.DeleteJob(new JobKey(JobName(id), Scheduling.SweepJobs), CancellationToken.None);
            return;
        }
        if (sweep.Status == "cancelling")
        {
            await Cancel(node, sweep, scheduler);
            return;
        }
        if (sweep.Status == "queued")
        {
            await Expand(node, sweep);
            return;
        }

        var jobs = new HashSet<string>();
        await using (var cmd = node.Data.CreateCommand("select job_name from qrtz_job_details where sched_name = $1"))
        {
            cmd.Parameters.Add(new() { Value = Scheduling.SchedulerName });
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) jobs.Add(r.GetString(0));
        }
        var experiments = await db.Experiments.AsNoTracking().Where(e => e.SweepId == id).OrderBy(e => e.Id).ToListAsync();
        foreach (var e in experiments.Where(e => e.Status is not ("done" or "failed" or "cancelled")))
        {
            var group = Scheduling.ModelGroup(e.Model);
            switch (e.Stage)
            {
                case "search":
                {
                    var trees = await db.SearchTrees.AsNoTracking().Where(t => t.ExperimentId == e.Id)
                        .Select(t => new { t.Id, t.Status, t.Executions, t.Error }).ToListAsync();
                    var open = trees.Where(t => t.Status is "pending" or "running").ToList();
                    foreach (var t in open.Where(t => !jobs.Contains(TreeJob(t.Id))))
                    {
                        if (t.Executions >= MaxExecutions)
                        {
                            var reason = $"search tree {t.Id} gave up after {t.Executions} executions{(t.Error is null ? "" : $": {t.Error}")}";
                            await node.Exec("update search_trees set status = 'failed', error = $2, updated_at = now() where id = $1 and status in ('pending', 'running')", t.Id, reason);
                            await node.Fail("SearchTree", TreeJob(t.Id), reason, id, e.Id);
                        }
                        else await Scheduling.EnsureJob<SearchTreeJob>(scheduler, Scheduling.SearchJobs, TreeJob(t.Id), t.Id.ToString(), group);
                    }
                    if (open.Count > 0) break;
                    if (trees.Any(t => t.Status == "done"))
                        await node.Exec("update experiments set stage = 'train', updated_at = now() where id = $1 and stage = 'search'", e.Id);
                    else
                        await FailExperiment(node, e, $"every search failed ({trees.Count} examples){(trees.FirstOrDefault()?.Error is { } err ? $"; first: {err}" : "")}");
                    break;
                }
                case "train":
                {
                    var run = await db.TrainingRuns.AsNoTracking().SingleAsync(r => r.ExperimentId == e.Id);
                    if (run.Status == "done")
                        await node.Exec("update experiments set stage = 'evaluate', updated_at = now() where id = $1 and stage = 'train'", e.Id);
                    else if (run.Status is "failed" or "cancelled")
                        await FailExperiment(node, e, $"router training failed: {run.Error}");
                    else if (!jobs.Contains(TrainJob(e.Id)))
                        await Scheduling.EnsureJob<TrainingJob>(scheduler, Scheduling.TrainJobs, TrainJob(e.Id), e.Id.ToString(), group);
                    break;
                }
                case "evaluate":
                {
                    var evals = await db.Evaluations.AsNoTracking().Where(v => v.ExperimentId == e.Id).ToListAsync();
                    var open = evals.Where(v => v.Status is "pending" or "running").ToList();
                    foreach (var v in open.Where(v => !jobs.Contains(EvalJob(v.Id))))
                        await Scheduling.EnsureJob<EvaluationJob>(scheduler, Scheduling.EvalJobs, EvalJob(v.Id), v.Id.ToString(), group);
                    if (open.Count > 0) break;
                    var failed = evals.Where(v => v.Status != "done").ToList();
                    if (failed.Count == 0)
                        await node.Exec("update experiments set stage = 'done', status = 'done', updated_at = now() where id = $1", e.Id);
                    else
                        await FailExperiment(node, e, string.Join("; ", failed.Select(v => $"evaluation on {v.Task} failed: {v.Error}")));
                    break;
                }
            }
        }
        int unfinished = await db.Experiments.CountAsync(e => e.SweepId == id && e.Status != "done" && e.Status != "failed" && e.Status != "cancelled");
        if (unfinished == 0)
        {
            await node.Exec("update sweeps set status = 'done', finished_at = now() where id = $1 and status = 'running'", id);
            node.Log($"sweep {id} ({sweep.Name}) finished");
            await scheduler.DeleteJob(new JobKey(JobName(id), Scheduling.SweepJobs), CancellationToken.None);
        }
    }

    private static async Task FailExperiment(ClusterNode node, ExperimentRow e, string reason)
    {
        await node.Exec("update experiments set status = 'failed', error = $2, updated_at = now() where id = $1 and status not in ('done', 'failed', 'cancelled')", e.Id, reason);
        await node.Fail("Experiment", $"experiment-{e.Id}", reason, e.SweepId, e.Id);
        node.Log($"experiment {e.Id} failed: {reason}");
    }

    private static async Task Cancel(ClusterNode node, SweepRow sweep, IScheduler scheduler)
    {
        const string ofSweep = "experiment_id in (select id from experiments where sweep_id = $1)";
        await node.Exec($"update search_trees set status = 'cancelled', updated_at = now() where {ofSweep} and status in ('pending', 'running')", sweep.Id);
        await node.Exec($"update training_runs set status = 'cancelled', updated_at = now() where {ofSweep} and status in ('pending', 'running')", sweep.Id);
        await node.Exec($"update evaluations set status = 'cancelled', updated_at = now() where {ofSweep} and status in ('pending', 'running')", sweep.Id);
        await node.Exec("update experiments set status = 'cancelled', updated_at = now() where sweep_id = $1 and status not in ('done', 'failed', 'cancelled')", sweep.Id);
        // Drop the actors' jobs that have not started; a running one stops at its next checkpoint (its writes are fenced on status).
        var keys = new List<JobKey>();
        await using (var cmd = node.Data.CreateCommand("""
            select 'tree-' || s.id, 'search' from search_trees s join experiments e on e.id = s.experiment_id where e.sweep_id = $1
            union all select 'train-' || e.id, 'train' from experiments e where e.sweep_id = $1
            union all select 'eval-' || v.id, 'eval' from evaluations v join experiments e on e.id = v.experiment_id where e.sweep_id = $1
            """))
        {
            cmd.Parameters.Add(new() { Value = sweep.Id });
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) keys.Add(new JobKey(r.GetString(0), r.GetString(1)));
        }
        foreach (var k in keys) await scheduler.DeleteJob(k, CancellationToken.None);
        await node.Exec("update sweeps set status = 'cancelled', finished_at = now() where id = $1 and status = 'cancelling'", sweep.Id);
        node.Log($"sweep {sweep.Id} ({sweep.Name}) cancelled");
        await scheduler.DeleteJob(new JobKey(JobName(sweep.Id), Scheduling.SweepJobs), CancellationToken.None);
    }

    /// <summary>The spec → rows, in one transaction. A spec that no longer validates here (a task file missing on this
    /// node, say) fails the sweep with the reason.</summary>
    private static async Task Expand(ClusterNode node, SweepRow sweep)
    {
        SweepSpec spec;
        try { spec = SweepSpec.Parse(sweep.SpecText, $"sweep {sweep.Id}"); }
        catch (Exception e) when (ActorJob.IsUserError(e))
        {
            await node.Exec("update sweeps set status = 'failed', error = $2, finished_at = now() where id = $1 and status = 'queued'", sweep.Id, e.Message);
            await node.Fail("Sweep", JobName(sweep.Id), e.Message, sweep.Id);
            return;
        }
        await using var db = node.OpenDb();
        await using var tx = await db.Database.BeginTransactionAsync();
        var status = await db.Database.SqlQuery<string>($"select status as \"Value\" from sweeps where id = {sweep.Id} for update").SingleAsync();
        if (status != "queued") return;
        var models = await db.BaseModels.AsNoTracking().ToDictionaryAsync(m => m.Name);
        var tasks = new Dictionary<string, TaskRow>();
        async Task<TaskRow> TaskFor(SpecTask t)
        {
            if (tasks.TryGetValue(t.Name, out var row)) return row;
            var file = t.File ?? "";
            row = await db.Tasks.SingleOrDefaultAsync(x => x.Name == t.Name && x.File == file);
            if (row is null)
            {
                row = new TaskRow { Name = t.Name, File = file, InDomain = t.InDomain };
                db.Tasks.Add(row);
                await db.SaveChangesAsync();
            }
            return tasks[t.Name] = row;
        }
        foreach (var t in spec.Tasks) await TaskFor(t);
        var samples = new Dictionary<(string, string), IReadOnlyList<DrLlm.Tasks.TaskItem>>();
        IReadOnlyList<DrLlm.Tasks.TaskItem> Items(SpecTask t, TaskSample s, string role) =>
            samples.TryGetValue((t.Name, role), out var v) ? v : samples[(t.Name, role)] = t.Items(s);

        int count = 0;
        var unknown = new List<(ExperimentRow Row, string Reason)>();
        foreach (var plan in spec.Experiments())
        {
            var e = new ExperimentRow
            {
                SweepId = sweep.Id, Model = plan.Model, TaskId = tasks[plan.Task.Name].Id, Settings = plan.Settings.ToJson(),
                SettingsKey = plan.Settings.Key, Seed = plan.Seed, Stage = "search", Status = "running",
            };
            if (!models.ContainsKey(plan.Model))
            {
                e.Status = "failed";
                e.Error = $"unknown model '{plan.Model}': no node has registered it (registered: {(models.Count == 0 ? "none" : string.Join(", ", models.Keys.Order()))}); " +
                          $"start a node with --models {plan.Model}=PATH";
                db.Experiments.Add(e);
                unknown.Add((e, e.Error));
                continue;
            }
            db.Experiments.Add(e);
            await db.SaveChangesAsync();
            count++;
            var searchRows = Items(plan.Task, plan.Task.Search!, "search").Select(item => Example(e.Id, "search", plan.Task.Name, plan.Task.Search!.Split, item)).ToList();
            db.Examples.AddRange(searchRows);
            var evalTasks = new[] { plan.Task }.Concat(spec.OutOfDomain).ToList();
            foreach (var t in evalTasks)
                db.Examples.AddRange(Items(t, t.Eval, "eval").Select(item => Example(e.Id, "eval", t.Name, t.Eval.Split, item)));
            await db.SaveChangesAsync();
            db.SearchTrees.AddRange(searchRows.Select(x => new SearchTreeRow
            {
                ExperimentId = e.Id, ExampleId = x.Id, Seed = unchecked((long)ExampleSearch.SeedFor(plan.Seed, x.ItemId)), Status = "pending",
            }));
            db.TrainingRuns.Add(new TrainingRunRow
            {
                ExperimentId = e.Id, Status = "pending", Epochs = plan.Settings.Router.Epochs,
                Options = JsonSerializer.Serialize(plan.Settings.Router with { Seed = (ulong)(uint)plan.Seed }, ActorJob.ItemJson),
            });
            db.Evaluations.AddRange(evalTasks.Select(t => new EvaluationRow
            {
                ExperimentId = e.Id, Task = t.Name, Split = t.Eval.Split, Domain = t.Domain, Status = "pending", N = Items(t, t.Eval, "eval").Count,
            }));
            await db.SaveChangesAsync();
        }
        await db.SaveChangesAsync();
        foreach (var (row, reason) in unknown)
            db.Failures.Add(new FailureRow { Actor = "Experiment", ActorKey = $"experiment-{row.Id}", SweepId = sweep.Id, ExperimentId = row.Id, NodeId = node.Id, Reason = reason });
        await db.Database.ExecuteSqlInterpolatedAsync($"update sweeps set status = 'running', started_at = now() where id = {sweep.Id}");
        await db.SaveChangesAsync();
        await tx.CommitAsync();
        node.Log($"sweep {sweep.Id} ({sweep.Name}) expanded: {count} experiment(s){(unknown.Count > 0 ? $", {unknown.Count} failed (unknown model)" : "")}");
    }

    private static ExampleRow Example(long experimentId, string role, string task, string split, DrLlm.Tasks.TaskItem item) => new()
    {
        ExperimentId = experimentId, Role = role, Task = task, Split = split, ItemId = item.Id, Level = item.Level,
        Prompt = DrLlm.Tasks.Prompts.TaskPrompts.Base(item), Gold = item.Gold, Item = JsonSerializer.Serialize(item, ActorJob.ItemJson),
    };
}
