using System.Diagnostics;
using DrLlm.Cluster.Data;
using DrLlm.Cluster.Hosts;
using DrLlm.Cluster.Silo;
using DrLlm.Cluster.Spec;
using DrLlm.Routing.Search;
using Microsoft.EntityFrameworkCore;

namespace DrLlm.Cluster.Grains;

/// <summary>
/// The SearchTree grain (experiment + example; key "{model}/tree/{row id}"): runs the example's MCTS on the local model
/// host, saving the tree (SearchState as jsonb) to its search_trees row every checkpoint_every simulations, and resumes
/// from that row wherever it runs next. Leaving silos save and hand the tree back.
/// </summary>
public sealed class SearchTreeGrain(ClusterStore store, ModelHosts hosts, SiloNode node) : WorkGrain(store, hosts, node), ISearchTreeGrain
{
    protected override Task RecordError(string error) =>
        Store.Exec("update search_trees set error = $2, updated_at = now() where id = $1", Id, error);

    protected override async Task Run(IModelHost host, CancellationToken stop)
    {
        long id = Id;
        await using var db = Store.OpenDb();
        var tree = await Retry.Run(() => db.SearchTrees.AsNoTracking().SingleOrDefaultAsync(t => t.Id == id));
        if (tree is null || !StatusText.Parse<WorkStatus>(tree.Status).IsOpen()) return;
        var example = await Retry.Run(() => db.Examples.AsNoTracking().SingleAsync(x => x.Id == tree.ExampleId));
        var experiment = await Retry.Run(() => db.Experiments.AsNoTracking().SingleAsync(x => x.Id == tree.ExperimentId));
        ReportTo(experiment.SweepId);

        int attempt = await Claim("search_trees", id,
            "executions = executions + 1, resumed_from = case when state is null then resumed_from else simulations end");
        if (attempt == 0) return;
        string key = $"tree-{id}";
        var started = Stopwatch.StartNew();
        IDisposable? slot = null;
        try
        {
            slot = await TakeSlot(stop);
            started.Restart(); // job_seconds: the tree's run in its slot (the benchmark's orchestration overhead)
            var settings = ExperimentSettings.FromJson(experiment.Settings);
            var item = ReadItem(example.Item, $"example {example.Id}");
            ulong seed = unchecked((ulong)tree.Seed);
            SearchCheckpoint? resume = tree.State is null ? null
                : new SearchCheckpoint(item.Id, seed, tree.BlockRuns, tree.BlockRunsSaved, tree.SearchSeconds, SearchState.FromJson(tree.State, $"search tree {id} checkpoint"));
            if (resume is not null) Node.Log($"{key}: resuming at simulation {resume.State.Simulations} (attempt {attempt})");

            var run = host.Search(item, settings.Search, seed, settings.Sessions, resume, c =>
            {
                int n = Store.Exec("""
                    update search_trees set state = $3::jsonb, simulations = $4, block_runs = $5, block_runs_saved = $6, search_seconds = $7,
                           checkpointed_at = now(), updated_at = now()
                    where id = $1 and attempt = $2 and status = 'running'
                    """, id, attempt, c.State.ToJson(), c.State.Simulations, c.BlockRuns, c.BlockRunsSaved, c.WallSeconds).GetAwaiter().GetResult();
                if (n == 0) throw new SupersededException($"{key}: taken over or cancelled");
                Stepped(c.State.Simulations);
                if (stop.IsCancellationRequested && c.State.StopReason is null) throw new ReleasedException();
            }, settings.CheckpointEvery, key);

            var r = run.Result;
            // the answers behind the two correctness flags, for people reading the tree (two generations more)
            string? defaultAnswer = host.Answer(item, [.. Enumerable.Range(0, host.NumBlocks)]);
            string? bestAnswer = r.BestPath is null ? null : host.Answer(item, r.BestPath);
            int done = await Store.Exec("""
                update search_trees set status = 'done', simulations = $3, paths_evaluated = $4, default_correct = $5, best_path = $6,
                       best_correct = $7, labels = $8, stop_reason = $9, block_runs = $10, block_runs_saved = $11, search_seconds = $12,
                       job_seconds = job_seconds + $13, eval_seconds = eval_seconds + $14, default_answer = $15, best_answer = $16,
                       error = null, finished_at = now(), updated_at = now()
                where id = $1 and attempt = $2 and status = 'running'
                """, id, attempt, r.Simulations, r.PathsEvaluated, r.DefaultCorrect, r.BestPath, r.BestCorrect, r.Labels, r.StopReason,
                r.BlockRuns, r.BlockRunsSaved, r.WallSeconds, started.Elapsed.TotalSeconds, run.EvalSeconds, defaultAnswer, bestAnswer);
            if (done == 1) Node.Log($"{key}: done, {r.Simulations} simulations, best {(r.BestPath is null ? "none" : $"{r.BestPath.Length} steps")}");
        }
        catch (ReleasedException)
        {
            await Release("search_trees", id, attempt, $", job_seconds = job_seconds + {started.Elapsed.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            Node.Log($"{key}: checkpointed and released (node leaving)");
        }
        catch (SupersededException) { }
        catch (Exception e) when (IsUserError(e))
        {
            await FailRow("search_trees", id, attempt, "SearchTree", key, $"{key} ({example.Task} {example.ItemId}): {e.Message}",
                experiment.SweepId, experiment.Id);
        }
        catch (Exception e) when (Retry.IsTransient(e))
        {
            // The database stayed away past the retry window: the row stays as it is; the Sweep grain starts the tree
            // again from its checkpoint once the database is back.
            Node.Log($"{key}: database unavailable ({e.Message}); the tree will be re-run from its checkpoint");
        }
        finally { slot?.Dispose(); }
    }
}
