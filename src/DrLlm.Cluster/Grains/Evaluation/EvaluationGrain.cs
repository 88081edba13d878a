using DrLlm.Cluster.Data;
using DrLlm.Cluster.Hosts;
using DrLlm.Cluster.Silo;
using DrLlm.Routing.Routers;
using Microsoft.EntityFrameworkCore;

namespace DrLlm.Cluster.Grains;

/// <summary>
/// The Evaluation grain (experiment + benchmark; key "{model}/eval/{evaluation id}"): each evaluation example under the
/// default path and under the experiment's routers. One evaluation_results row per example, written as it is done (the
/// primary key makes a re-run a no-op), so a re-run after failover continues where the last one stopped; the
/// accuracies are aggregated from those rows.
/// </summary>
public sealed class EvaluationGrain(ClusterStore store, ModelHosts hosts, SiloNode node) : WorkGrain(store, hosts, node), IEvaluationGrain
{
    protected override Task RecordError(string error) =>
        Store.Exec("update evaluations set error = $2, updated_at = now() where id = $1", Id, error);

    protected override async Task Run(IModelHost host, CancellationToken stop)
    {
        long id = Id;
        await using var db = Store.OpenDb();
        var eval = await Retry.Run(() => db.Evaluations.AsNoTracking().SingleOrDefaultAsync(v => v.Id == id));
        if (eval is null || !StatusText.Parse<WorkStatus>(eval.Status).IsOpen()) return;
        var experiment = await Retry.Run(() => db.Experiments.AsNoTracking().SingleAsync(x => x.Id == eval.ExperimentId));
        ReportTo(experiment.SweepId);
        int attempt = await Claim("evaluations", id, "started_at = coalesce(started_at, now())");
        if (attempt == 0) return;
        string key = $"eval-{id}";
        var dir = Directory.CreateTempSubdirectory("drllm-eval-").FullName;
        IDisposable? slot = null;
        try
        {
            slot = await TakeSlot(stop);
            var ckpt = await Retry.Run(() => db.RouterCheckpoints.AsNoTracking().SingleOrDefaultAsync(r => r.ExperimentId == experiment.Id))
                ?? throw new InvalidOperationException($"{key}: experiment {experiment.Id} has no router checkpoint");
            File.WriteAllBytes(Path.Combine(dir, RouterCheckpoint.WeightsFile), ckpt.Weights);
            File.WriteAllText(Path.Combine(dir, RouterCheckpoint.MetadataFile), ckpt.Metadata);
            var (routers, _) = RouterCheckpoint.Load(dir, host.Identity);
            var examples = await Retry.Run(() => db.Examples.AsNoTracking()
                .Where(x => x.ExperimentId == experiment.Id && x.Role == "eval" && x.Task == eval.Task).OrderBy(x => x.Id).ToListAsync());
            var done = (await Retry.Run(() => db.EvaluationResults.AsNoTracking().Where(r => r.EvaluationId == id).Select(r => r.ExampleId).ToListAsync())).ToHashSet();
            double routerSeconds = 0;
            int step = done.Count;
            foreach (var x in examples.Where(x => !done.Contains(x.Id)))
            {
                if (stop.IsCancellationRequested) throw new ReleasedException();
                var o = host.Evaluate(ReadItem(x.Item, $"example {x.Id}"), routers);
                routerSeconds += o.RouterSeconds;
                await Store.Exec("""
                    insert into evaluation_results (evaluation_id, example_id, baseline_correct, routed_correct, baseline_answer, routed_answer,
                                                    routed_output, routed_path, decisions, node_id)
                    select $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
                    where exists (select 1 from evaluations where id = $1 and attempt = $11 and status = 'running')
                    on conflict do nothing
                    """, id, x.Id, o.BaselineCorrect, o.RoutedCorrect, o.BaselineAnswer, o.RoutedAnswer, o.RoutedOutput, o.RoutedPath, o.Decisions, Node.Id, attempt);
                Stepped(++step);
            }
            int n = await Store.Exec("""
                update evaluations v set status = 'done', error = null, finished_at = now(), updated_at = now(),
                       router_seconds = coalesce(v.router_seconds, 0) + $3,
                       baseline_accuracy = a.b, routed_accuracy = a.r, baseline_avg_layers = $4, routed_avg_layers = a.l
                from (select avg(case when baseline_correct then 1.0 else 0.0 end)::float8 as b, avg(case when routed_correct then 1.0 else 0.0 end)::float8 as r,
                             avg(cardinality(routed_path))::float8 as l, count(*) as c
                      from evaluation_results where evaluation_id = $1) a
                where v.id = $1 and v.attempt = $2 and v.status = 'running' and a.c = v.n
                """, id, attempt, routerSeconds, (double)host.NumBlocks);
            if (n == 0) throw new SupersededException($"{key}: taken over, cancelled, or results missing");
            Node.Log($"{key}: done ({eval.Task}, {examples.Count} examples)");
        }
        catch (ReleasedException)
        {
            await Release("evaluations", id, attempt);
            Node.Log($"{key}: released, its stored examples kept (node leaving)");
        }
        catch (SupersededException) { }
        catch (Exception e) when (IsUserError(e))
        {
            await FailRow("evaluations", id, attempt, "Evaluation", key, $"{key} ({eval.Task}): {e.Message}", experiment.SweepId, experiment.Id);
        }
        catch (Exception e) when (Retry.IsTransient(e)) { Node.Log($"{key}: database unavailable ({e.Message}); it will be re-run"); }
        finally
        {
            slot?.Dispose();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
