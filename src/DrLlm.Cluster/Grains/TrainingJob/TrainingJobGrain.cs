using System.Text.Json;
using DrLlm.Cluster.Data;
using DrLlm.Cluster.Hosts;
using DrLlm.Cluster.Silo;
using DrLlm.Routing.Routers;
using Microsoft.EntityFrameworkCore;

namespace DrLlm.Cluster.Grains;

/// <summary>
/// The TrainingJob grain (experiment; key "{model}/train/{experiment id}"): trains the per-block routers on the labels of
/// the experiment's finished search trees (examples in item-id order, so the split and shuffles do not depend on which
/// tree finished first), one epoch at a time, saving the trainer state to its training_runs row after each epoch; a
/// re-run resumes after the last saved epoch. The router checkpoint lands in router_checkpoints, bound to the base
/// model's identity.
/// </summary>
public sealed class TrainingJobGrain(ClusterStore store, ModelHosts hosts, SiloNode node) : WorkGrain(store, hosts, node), ITrainingJobGrain
{
    protected override Task RecordError(string error) =>
        Store.Exec("update training_runs set error = $2, updated_at = now() where experiment_id = $1", Id, error);

    protected override async Task Run(IModelHost host, CancellationToken stop)
    {
        long experimentId = Id;
        await using var db = Store.OpenDb();
        var run = await Retry.Run(() => db.TrainingRuns.AsNoTracking().SingleOrDefaultAsync(r => r.ExperimentId == experimentId));
        if (run is null || !StatusText.Parse<WorkStatus>(run.Status).IsOpen()) return;
        var experiment = await Retry.Run(() => db.Experiments.AsNoTracking().SingleAsync(x => x.Id == experimentId));
        ReportTo(experiment.SweepId);
        int attempt = await Claim("training_runs", run.Id, "started_at = coalesce(started_at, now())");
        if (attempt == 0) return;
        string key = $"train-{experimentId}";
        var dir = Directory.CreateTempSubdirectory("drllm-train-").FullName;
        IDisposable? slot = null;
        try
        {
            slot = await TakeSlot(stop);
            var options = JsonSerializer.Deserialize<RouterTrainingOptions>(run.Options, ItemJson) ?? throw new FormatException($"{key}: empty training options");
            var labelled = await Retry.Run(() => (
                from t in db.SearchTrees.AsNoTracking()
                join x in db.Examples.AsNoTracking() on t.ExampleId equals x.Id
                where t.ExperimentId == experimentId && t.Status == "done" && t.Labels != null
                orderby x.ItemId
                select new { x.ItemId, x.Item, t.Labels }).ToListAsync());
            int searched = await Retry.Run(() => db.SearchTrees.CountAsync(t => t.ExperimentId == experimentId));
            if (labelled.Count < 2)
                throw new InvalidOperationException($"{labelled.Count} of {searched} searched examples have a label; router training needs at least 2 (one to validate)");
            var examples = labelled.Select(l => new RouterExample(l.ItemId, host.EncodePrompt(ReadItem(l.Item, $"example {l.ItemId}")), l.Labels!)).ToList();
            var features = host.Features(examples, options.Windows);
            var trainer = new RouterTrainer(features, options);
            if (run.TrainerState is not null && run.TrainerStateJson is not null)
            {
                File.WriteAllBytes(Path.Combine(dir, RouterTrainer.StateWeightsFile), run.TrainerState);
                File.WriteAllText(Path.Combine(dir, RouterTrainer.StateFile), run.TrainerStateJson);
                Node.Log($"{key}: resuming after epoch {run.Epoch}");
            }
            int epoch = run.TrainerState is null ? 0 : run.Epoch;
            RouterTrainingResult? result = null;
            for (int e = epoch + 1; e <= options.Epochs; e++)
            {
                result = trainer.Train(stateDir: dir, resume: e > 1, stopAfterEpoch: e);
                var m = result.History[^1];
                await Store.Exec("""
                    insert into training_epochs (training_run_id, epoch, train_loss, validation_loss, validation_accuracy, validation_macro_f1, validation_class_accuracy)
                    values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing
                    """, run.Id, m.Epoch, m.TrainLoss, double.IsNaN(m.ValidationLoss) ? null : m.ValidationLoss, m.ValidationAccuracy, m.ValidationMacroF1, m.ValidationClassAccuracy);
                int n = await Store.Exec("""
                    update training_runs set epoch = $3, trainer_state = $4, trainer_state_json = $5, train_examples = $6, validation_examples = $7, updated_at = now()
                    where id = $1 and attempt = $2 and status = 'running'
                    """, run.Id, attempt, e, File.ReadAllBytes(Path.Combine(dir, RouterTrainer.StateWeightsFile)),
                    File.ReadAllText(Path.Combine(dir, RouterTrainer.StateFile)), result.TrainExamples, result.ValidationExamples);
                if (n == 0) throw new SupersededException($"{key}: taken over or cancelled");
                Stepped(e);
                if (stop.IsCancellationRequested && e < options.Epochs) throw new ReleasedException();
            }
            // All epochs saved (here or by an earlier execution): the final routers are the last saved state.
            result ??= trainer.Train(stateDir: dir, resume: true, stopAfterEpoch: options.Epochs);
            var c = host.Identity;
            var checkpointDir = Path.Combine(dir, "routers");
            var last = result.History[^1];
            RouterCheckpoint.Save(checkpointDir, result.Routers, new RouterMetadata(c, c.HiddenSize, c.NumBlocks, options.Hidden, options.Windows,
                result.ClassWeights, result.TrainClassCounts, options, result.History));
            await Store.Exec("""
                insert into router_checkpoints (experiment_id, base_model, base_sha256, blocks, hidden_size, router_hidden, windows,
                                                validation_accuracy, validation_macro_f1, weights, metadata)
                values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb) on conflict (experiment_id) do nothing
                """, experimentId, experiment.Model, c.Sha256, c.NumBlocks, c.HiddenSize, options.Hidden, options.Windows, last.ValidationAccuracy,
                last.ValidationMacroF1, File.ReadAllBytes(Path.Combine(checkpointDir, RouterCheckpoint.WeightsFile)),
                File.ReadAllText(Path.Combine(checkpointDir, RouterCheckpoint.MetadataFile)));
            int done = await Store.Exec("update training_runs set status = 'done', error = null, finished_at = now(), updated_at = now() where id = $1 and attempt = $2 and status = 'running'", run.Id, attempt);
            if (done == 1) Node.Log($"{key}: done, {options.Epochs} epochs on {labelled.Count} examples, block accuracy {last.ValidationAccuracy:F3}, macro-F1 {last.ValidationMacroF1:F3}");
        }
        catch (ReleasedException)
        {
            await Release("training_runs", run.Id, attempt);
            Node.Log($"{key}: saved after epoch and released (node leaving)");
        }
        catch (SupersededException) { }
        catch (Exception e) when (IsUserError(e))
        {
            await FailRow("training_runs", run.Id, attempt, "TrainingJob", key, $"{key}: {e.Message}", experiment.SweepId, experimentId);
        }
        catch (Exception e) when (Retry.IsTransient(e)) { Node.Log($"{key}: database unavailable ({e.Message}); it will be re-run"); }
        finally
        {
            slot?.Dispose();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
