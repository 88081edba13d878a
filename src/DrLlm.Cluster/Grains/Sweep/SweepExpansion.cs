using System.Text.Json;
using DrLlm.Cluster.Data;
using DrLlm.Cluster.Silo;
using DrLlm.Cluster.Spec;
using DrLlm.Routing.Search;
using Microsoft.EntityFrameworkCore;

namespace DrLlm.Cluster.Grains;

/// <summary>A sweep's spec → its rows (experiments, examples, search trees, a training run and evaluations per
/// experiment), in one transaction, so a crash mid-way leaves nothing half-made; and a cancel → its unfinished rows
/// marked cancelled.</summary>
public static class SweepExpansion
{
    /// <summary>Expands a queued sweep. A spec that no longer validates here (a task file missing on this silo, say)
    /// fails the sweep with the reason.</summary>
    public static async Task Expand(ClusterStore store, SiloNode node, SweepRow sweep)
    {
        SweepSpec spec;
        try { spec = SweepSpec.Parse(sweep.SpecText, $"sweep {sweep.Id}"); }
        catch (Exception e) when (WorkGrain.IsUserError(e))
        {
            await store.Exec("update sweeps set status = 'failed', error = $2, finished_at = now() where id = $1 and status = 'queued'", sweep.Id, e.Message);
            await store.Fail("Sweep", $"sweep-{sweep.Id}", e.Message, sweep.Id);
            return;
        }
        await using var db = store.OpenDb();
        await using var tx = await db.Database.BeginTransactionAsync();
        var status = await db.Database.SqlQuery<string>($"select status as \"Value\" from sweeps where id = {sweep.Id} for update").SingleAsync();
        if (status != SweepStatus.Queued.Db()) return;
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
                SettingsKey = plan.Settings.Key, Seed = plan.Seed, Stage = ExperimentStage.Search.Db(), Status = ExperimentStatus.Running.Db(),
            };
            if (!models.ContainsKey(plan.Model))
            {
                e.Status = ExperimentStatus.Failed.Db();
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
                ExperimentId = e.Id, ExampleId = x.Id, Seed = unchecked((long)ExampleSearch.SeedFor(plan.Seed, x.ItemId)), Status = WorkStatus.Pending.Db(),
            }));
            db.TrainingRuns.Add(new TrainingRunRow
            {
                ExperimentId = e.Id, Status = WorkStatus.Pending.Db(), Epochs = plan.Settings.Router.Epochs,
                Options = JsonSerializer.Serialize(plan.Settings.Router with { Seed = (ulong)(uint)plan.Seed }, WorkGrain.ItemJson),
            });
            db.Evaluations.AddRange(evalTasks.Select(t => new EvaluationRow
            {
                ExperimentId = e.Id, Task = t.Name, Split = t.Eval.Split, Domain = t.Domain, Status = WorkStatus.Pending.Db(), N = Items(t, t.Eval, "eval").Count,
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
        Prompt = DrLlm.Tasks.Prompts.TaskPrompts.Base(item), Gold = item.Gold, Item = JsonSerializer.Serialize(item, WorkGrain.ItemJson),
    };

    /// <summary>Marks the sweep's unfinished work cancelled (running work sees it at its next fenced write and stops),
    /// then the sweep itself.</summary>
    public static async Task Cancel(ClusterStore store, SiloNode node, SweepRow sweep)
    {
        const string ofSweep = "experiment_id in (select id from experiments where sweep_id = $1)";
        await store.Exec($"update search_trees set status = 'cancelled', updated_at = now() where {ofSweep} and status in ('pending', 'running')", sweep.Id);
        await store.Exec($"update training_runs set status = 'cancelled', updated_at = now() where {ofSweep} and status in ('pending', 'running')", sweep.Id);
        await store.Exec($"update evaluations set status = 'cancelled', updated_at = now() where {ofSweep} and status in ('pending', 'running')", sweep.Id);
        await store.Exec("update experiments set status = 'cancelled', updated_at = now() where sweep_id = $1 and status not in ('done', 'failed', 'cancelled')", sweep.Id);
        await store.Exec("update sweeps set status = 'cancelled', finished_at = now() where id = $1 and status = 'cancelling'", sweep.Id);
        node.Log($"sweep {sweep.Id} ({sweep.Name}) cancelled");
    }
}
