using System.Diagnostics;
using DrLlm.Tests.Shared;
using Xunit.Abstractions;

namespace DrLlm.Cluster.Tests;

/// <summary>Whole sweeps on real node processes against the test PostgreSQL, on the stand-in model host.</summary>
[Collection("pg")]
public sealed class SweepTests(PostgresServer pg, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private static void WaitDone(string cs, long sweep, params NodeProcess[] nodes) =>
        Db.WaitFor(() => Db.SweepStatus(cs, sweep) is "done" or "failed" or "cancelled", Patience, () => Db.Diagnostics(cs, sweep, nodes));

    private static void AssertComplete(string cs, long sweep, params NodeProcess[] nodes)
    {
        string diag() => Db.Diagnostics(cs, sweep, nodes);
        Assert.True(Db.SweepStatus(cs, sweep) == "done", diag());
        Assert.True(Db.Scalar<long>(cs, $"select count(*) from experiments where sweep_id = {sweep} and status <> 'done'") == 0, diag());
        // every searched example: exactly one tree, finished
        Assert.Equal(0L, Db.Scalar<long>(cs, $"""
            select count(*) from examples x left join search_trees t on t.example_id = x.id
            where x.role = 'search' and x.experiment_id in (select id from experiments where sweep_id = {sweep}) and (t.id is null or t.status <> 'done')
            """));
        // every evaluated example: exactly one result per evaluation of its task
        Assert.Equal(0L, Db.Scalar<long>(cs, $"""
            select count(*) from evaluations v join examples x on x.experiment_id = v.experiment_id and x.role = 'eval' and x.task = v.task
            where v.experiment_id in (select id from experiments where sweep_id = {sweep})
              and (select count(*) from evaluation_results r where r.evaluation_id = v.id and r.example_id = x.id) <> 1
            """));
        Assert.Equal(0L, Db.Scalar<long>(cs, $"select count(*) from evaluations where status <> 'done' and experiment_id in (select id from experiments where sweep_id = {sweep})"));
    }

    /// <summary>The sweep run to completion by one node alone on a fresh database: the reference results.</summary>
    private string SoloFingerprint(string yaml, string model, int concurrency)
    {
        var cs = pg.CreateDatabase();
        using var solo = new NodeProcess(cs, "solo", model, concurrency: concurrency);
        long s = Specs.Launch(cs, yaml);
        WaitDone(cs, s, solo);
        AssertComplete(cs, s, solo);
        return Db.Fingerprint(cs, s);
    }

    [Fact]
    public void One_node_and_three_nodes_give_the_same_results_even_when_a_node_leaves_mid_sweep()
    {
        var yaml = Specs.Standin("det", "sa", n: 8, sims: 16, every: 4, seeds: "[0, 1]");
        // 40 ms per evaluation: when node c is seen at its first checkpoints, its tree still has ≥ 8 × 40 ms to run, so
        // the SIGTERM below reaches it mid-search even on a loaded machine (at 15 ms a tree could finish first).
        const string model = "sa=standin:latency=40ms,blocks=8";

        string one = SoloFingerprint(yaml, model, concurrency: 4);

        var cs3 = pg.CreateDatabase();
        using var a = new NodeProcess(cs3, "a", model);
        using var b = new NodeProcess(cs3, "b", model);
        using var c = new NodeProcess(cs3, "c", model);
        long s3 = Specs.Launch(cs3, yaml);
        // Node c leaves (SIGTERM) while it runs a search: it must checkpoint, hand the tree back and leave cleanly.
        Db.WaitFor(() => Db.Scalar<long>(cs3, "select count(*) from search_trees where node_id = 'c' and status = 'running' and simulations between 4 and 8") > 0,
            Patience, () => Db.Diagnostics(cs3, s3, a, b, c));
        Assert.Equal(0, c.Terminate());
        Assert.Contains("checkpointed and released", c.Log);
        Assert.Equal("left", Db.Scalar<string>(cs3, "select status from nodes where id = 'c'"));
        WaitDone(cs3, s3, a, b, c);
        AssertComplete(cs3, s3, a, b, c);
        Assert.True(Db.Scalar<long>(cs3, "select count(*) from search_trees where resumed_from >= 4") > 0, "a released tree resumed from its checkpoint");
        Assert.Equal(one, Db.Fingerprint(cs3, s3));
        // the work really was spread
        Assert.True(Db.Scalar<long>(cs3, "select count(distinct node_id) from search_trees") >= 2);
    }

    [Fact]
    public void A_node_killed_mid_search_loses_at_most_a_checkpoint_interval_and_the_sweep_completes()
    {
        var cs = pg.CreateDatabase();
        var traceDir = Directory.CreateTempSubdirectory("drllm-trace-").FullName;
        const int every = 5, sims = 30;
        NodeProcess Start(string name) => new(cs, name, $"sa=standin:latency=30ms,blocks=8,trace={Path.Combine(traceDir, name)}.log", concurrency: 2);
        using var a = Start("a");
        using var b = Start("b");
        using var c = Start("c");
        long s = Specs.Launch(cs, Specs.Standin("failover", "sa", n: 12, sims: sims, every: every));
        Db.WaitFor(() => Db.Scalar<long>(cs, $"select count(*) from search_trees where node_id = 'b' and status = 'running' and simulations >= {every}") > 0,
            Patience, () => Db.Diagnostics(cs, s, a, b, c));
        var running = Db.Rows(cs, "select id, simulations from search_trees where node_id = 'b' and status = 'running'");
        var victims = running.Select(r => (long)r[0]!).ToList();
        // Trees that had checkpointed when b was picked must resume from a checkpoint; one b started just before the
        // kill may have none yet and legitimately starts over (it too loses at most the interval, checked below).
        var checkpointed = running.Where(r => (int)r[1]! >= every).Select(r => (long)r[0]!).ToHashSet();
        b.KillHard();
        var sinceKill = Stopwatch.StartNew();
        Assert.NotEmpty(checkpointed);
        // Failover time: from the kill until every tree the killed silo ran is claimed again by a survivor (running or done).
        string ids = string.Join(",", victims);
        Db.WaitFor(() => Db.Scalar<long>(cs, $"select count(*) from search_trees where id in ({ids}) and node_id <> 'b' and executions >= 2") == victims.Count,
            TimeSpan.FromSeconds(60), () => Db.Diagnostics(cs, s, a, b, c));
        var failover = sinceKill.Elapsed;
        output.WriteLine($"SIGKILL failover: {victims.Count} tree(s) of the killed silo running again on survivors {failover.TotalSeconds:F1} s after the kill");
        Assert.True(failover < TimeSpan.FromSeconds(15), $"failover took {failover.TotalSeconds:F1} s (target ≤ 15 s)");
        WaitDone(cs, s, a, b, c);
        AssertComplete(cs, s, a, b, c);

        // The killed node's trees were finished elsewhere, resumed from their checkpoint.
        foreach (var id in victims)
        {
            var row = Db.Rows(cs, $"select node_id, executions, resumed_from, simulations from search_trees where id = {id}")[0];
            Assert.NotEqual("b", (string)row[0]!);
            Assert.True((int)row[1]! >= 2, $"tree {id} ran again after the kill");
            if (checkpointed.Contains(id))
                Assert.True(row[2] is int r && r >= every, $"tree {id} resumed from a checkpoint, not from scratch ({row[2]})");
        }
        // Simulations redone = simulations run in total (every node's trace) − the tree's final count; at most the interval.
        var runs = Directory.GetFiles(traceDir).SelectMany(File.ReadAllLines).Where(l => l.Length > 0)
            .GroupBy(l => l.Split(' ')[0]).ToDictionary(g => g.Key, g => g.Count());
        foreach (var id in victims)
        {
            int redone = runs[$"tree-{id}"] - sims;
            Assert.InRange(redone, 0, every);
        }
        // Training and evaluation completed; the failover was a re-dispatch by the Sweep grain, not a failure.
        Assert.Equal(0L, Db.Scalar<long>(cs, "select count(*) from failures"));
        Assert.True(Db.Scalar<long>(cs, "select count(*) from router_checkpoints") == 1);
    }

    [Fact]
    public void Nodes_killed_mid_training_and_mid_evaluation_are_taken_over_and_the_results_equal_an_uninterrupted_run()
    {
        // 400 router epochs (each saved to the row) and 24 evaluation items per task at 2 × 20 ms: long enough to kill a
        // node in the middle of each.
        var yaml = Specs.Standin("midway", "sa", n: 6, sims: 8, every: 4, eval: 24).Replace("epochs: 3", "epochs: 400");
        const string model = "sa=standin:latency=20ms,blocks=8";

        string reference = SoloFingerprint(yaml, model, concurrency: 2);

        var cs = pg.CreateDatabase();
        var nodes = new[] { "a", "b", "c" }.ToDictionary(n => n, n => new NodeProcess(cs, n, model, concurrency: 2));
        try
        {
            var all = nodes.Values.ToArray();
            long s = Specs.Launch(cs, yaml);

            // The node training the routers dies (SIGKILL) between two saved epochs.
            string? trainer = null;
            Db.WaitFor(() => (trainer = Db.Scalar<string?>(cs, "select node_id from training_runs where status = 'running' and epoch between 20 and 300")) is not null,
                Patience, () => Db.Diagnostics(cs, s, all));
            int savedAtKill = Db.Scalar<int>(cs, "select epoch from training_runs");
            nodes[trainer!].KillHard();

            // Then the node evaluating (the other two may both be): one of them dies with part of its results stored.
            string? evaluator = null;
            Db.WaitFor(() => (evaluator = Db.Scalar<string?>(cs, $"""
                    select v.node_id from evaluations v where v.status = 'running' and v.node_id <> '{trainer}'
                    and (select count(*) from evaluation_results r where r.evaluation_id = v.id) between 3 and 18 limit 1
                    """)) is not null,
                Patience, () => Db.Diagnostics(cs, s, all));
            var killedEvaluations = Db.Rows(cs, $"select id from evaluations where node_id = '{evaluator}' and status = 'running'").Select(r => (long)r[0]!).ToList();
            nodes[evaluator!].KillHard();

            WaitDone(cs, s, all);
            AssertComplete(cs, s, all);
            Assert.Equal(reference, Db.Fingerprint(cs, s));

            // Training resumed after a saved epoch on a surviving node (not from epoch 0), and each epoch is recorded once.
            var run = Db.Rows(cs, "select node_id, attempt, epoch from training_runs")[0];
            Assert.NotEqual(trainer, (string)run[0]!);
            Assert.True((int)run[1]! >= 2, "the training run was claimed again after the kill");
            Assert.Equal(400, (int)run[2]!);
            Assert.Equal(400L, Db.Scalar<long>(cs, "select count(distinct epoch) from training_epochs"));
            var survivor = nodes[(string)run[0]!];
            var resumed = System.Text.RegularExpressions.Regex.Match(survivor.Log, @"resuming after epoch (\d+)");
            Assert.True(resumed.Success, $"no resume in the surviving trainer's log:\n{survivor.Log}");
            Assert.InRange(int.Parse(resumed.Groups[1].Value), Math.Max(1, savedAtKill), 399);

            // The killed node's evaluations were finished elsewhere, each example evaluated exactly once (AssertComplete).
            Assert.NotEmpty(killedEvaluations);
            foreach (var id in killedEvaluations)
            {
                var row = Db.Rows(cs, $"select node_id, attempt, status from evaluations where id = {id}")[0];
                Assert.Equal(("done", true), ((string)row[2]!, (string)row[0]! != evaluator && (int)row[1]! >= 2));
            }
            Assert.Equal(0L, Db.Scalar<long>(cs, "select count(*) from failures"));
        }
        finally
        {
            foreach (var n in nodes.Values) n.Dispose();
        }
    }

    [Fact]
    public void Bad_input_fails_the_actor_with_its_reason_and_the_rest_goes_on()
    {
        var cs = pg.CreateDatabase();
        // sa is registered by a node that then leaves; node a hosts only an unrelated model: the sweep expands, but sa's
        // searches wait for a node that hosts sa.
        using (var reg = new NodeProcess(cs, "reg", "sa=standin:latency=5ms,blocks=8"))
        {
            Db.WaitFor(() => Db.Scalar<long>(cs, "select count(*) from base_models where name = 'sa'") == 1, Patience, () => reg.Log);
            Assert.Equal(0, reg.Terminate());
        }
        using var a = new NodeProcess(cs, "a", "other=standin:latency=1ms,blocks=4");
        long s = Specs.Launch(cs, Specs.Standin("bad", "sa, ghost", n: 6, sims: 8, every: 4));
        Db.WaitFor(() => Db.SweepStatus(cs, s) == "running", Patience, () => Db.Diagnostics(cs, s, a));
        // A corrupt checkpoint on one tree.
        long corrupt = Db.Scalar<long>(cs, "select min(id) from search_trees");
        Db.Exec(cs, $"update search_trees set state = '{{\"version\": 99, \"num_blocks\": 8}}' where id = {corrupt}");
        // Node b's copy of sa fails to load; node c's loads.
        using var b = new NodeProcess(cs, "b", "sa=standin:fail=disk read error");
        Db.WaitFor(() => Db.Scalar<string>(cs, "select status from model_hosts where node_id = 'b'") == "failed", Patience, () => b.Log);
        using var c = new NodeProcess(cs, "c", "sa=standin:latency=5ms,blocks=8");
        Db.WaitFor(() => Db.SweepStatus(cs, s) is "done" or "failed", Patience, () => Db.Diagnostics(cs, s, a, b, c));
        string diag() => Db.Diagnostics(cs, s, a, b, c);

        Assert.Contains("disk read error", Db.Scalar<string>(cs, "select error from model_hosts where node_id = 'b' and model = 'sa'"));
        Assert.Equal("sa:failed", Db.Scalar<string>(cs, "select models from v_nodes where id = 'b'"));
        Assert.Equal("done", Db.SweepStatus(cs, s));
        // unknown model: its experiment failed with the reason, nothing else did
        var ghost = Db.Rows(cs, $"select status, error from experiments where sweep_id = {s} and model = 'ghost'")[0];
        Assert.Equal("failed", ghost[0]);
        Assert.Contains("unknown model 'ghost'", (string)ghost[1]!);
        Assert.True(Db.Scalar<string>(cs, $"select status from experiments where sweep_id = {s} and model = 'sa'") == "done", diag());
        // the corrupt tree failed with a reason naming it; the others finished and the routers trained on them
        var bad = Db.Rows(cs, $"select status, error from search_trees where id = {corrupt}")[0];
        Assert.Equal("failed", bad[0]);
        Assert.Contains($"search tree {corrupt} checkpoint", (string)bad[1]!);
        Assert.Contains(": search state", (string)bad[1]!);
        Assert.Equal(5L, Db.Scalar<long>(cs, "select count(*) from search_trees where status = 'done'"));
        // every failure is on record with where and why
        var failures = Db.Rows(cs, "select actor, reason from failures order by id").Select(r => $"{r[0]}: {r[1]}").ToList();
        Assert.Contains(failures, f => f.StartsWith("ModelHost: model 'sa' failed to load", StringComparison.Ordinal) && f.Contains("disk read error"));
        Assert.Contains(failures, f => f.StartsWith("Experiment: unknown model 'ghost'", StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.Contains("unknown model 'sa'"));
        Assert.Contains(failures, f => f.StartsWith($"SearchTree: tree-{corrupt} ", StringComparison.Ordinal) && f.Contains("checkpoint: search state"));
        // and the CLI shows them
        var (code, output, _) = DrllmProcess.Run("sweep", "status", s.ToString(), "--db", cs);
        Assert.Equal(0, code);
        Assert.Contains("unknown model 'ghost'", output);
        Assert.Contains("failure: ModelHost b/sa on b", output);
    }

    [Fact]
    public void A_hung_silo_is_declared_dead_its_trees_resume_elsewhere_and_nothing_is_done_twice()
    {
        var cs = pg.CreateDatabase();
        const int every = 5, sims = 30;
        NodeProcess Start(string name) => new(cs, name, "sa=standin:latency=30ms,blocks=8", concurrency: 2);
        using var a = Start("a");
        using var b = Start("b");
        using var c = Start("c");
        long s = Specs.Launch(cs, Specs.Standin("hung", "sa", n: 12, sims: sims, every: every));
        Db.WaitFor(() => Db.Scalar<long>(cs, $"select count(*) from search_trees where node_id = 'b' and status = 'running' and simulations >= {every}") > 0,
            Patience, () => Db.Diagnostics(cs, s, a, b, c));
        var victims = Db.Rows(cs, "select id from search_trees where node_id = 'b' and status = 'running'").Select(r => (long)r[0]!).ToList();
        // SIGSTOP: the process hangs with its connections open (no reset), as a silo stuck in a long pause would.
        b.Signal("STOP");
        var sinceStop = Stopwatch.StartNew();
        try
        {
            string ids = string.Join(",", victims);
            Db.WaitFor(() => Db.Scalar<long>(cs, $"select count(*) from search_trees where id in ({ids}) and node_id <> 'b' and executions >= 2") == victims.Count,
                TimeSpan.FromSeconds(90), () => Db.Diagnostics(cs, s, a, b, c));
            output.WriteLine($"SIGSTOP failover: {victims.Count} tree(s) of the hung silo running again on survivors {sinceStop.Elapsed.TotalSeconds:F1} s after it froze");
            WaitDone(cs, s, a, c);
        }
        finally { b.Signal("CONT"); }
        // Woken up, the hung silo finds the cluster has declared it dead; its stale work must not write over anything.
        Thread.Sleep(3000);
        AssertComplete(cs, s, a, b, c);
        Assert.Equal(12L, Db.Scalar<long>(cs, $"select count(*) from search_trees where status = 'done' and simulations = {sims}"));
        Assert.Equal(0L, Db.Scalar<long>(cs, "select count(*) from failures"));
        Assert.Equal("dead", Db.Scalar<string>(cs, "select status from v_silos where node_id = 'b' order by generation desc limit 1"));
    }

    /// <summary>A node id belongs to the node that is up with it; a second node asking for it is refused, naming the
    /// holder; once the holder is gone (killed: 15 s without a heartbeat) a new node takes the id over.</summary>
    [Fact]
    public void A_node_id_that_is_up_is_refused_and_taken_over_once_its_node_is_gone()
    {
        var cs = pg.CreateDatabase();
        using var first = new NodeProcess(cs, "same", "sa=standin:latency=1ms,blocks=4", concurrency: 1);
        Db.WaitFor(() => Db.Scalar<long>(cs, "select count(*) from nodes where id = 'same' and status = 'up'") == 1, TimeSpan.FromSeconds(60), () => first.Log);
        using (var second = new NodeProcess(cs, "same", "sa=standin:latency=1ms,blocks=4", concurrency: 1))
        {
            Db.WaitFor(() => second.HasExited, TimeSpan.FromSeconds(60), () => second.Log);
            Assert.Contains($"error: --id same: a node with this id is up (pid {first.Pid}", second.Log);
        }
        first.KillHard();
        Db.WaitFor(() => Db.Scalar<string>(cs, "select status from v_nodes where id = 'same'") == "lost", TimeSpan.FromSeconds(40), () => first.Log);
        using var third = new NodeProcess(cs, "same", "sa=standin:latency=1ms,blocks=4", concurrency: 1);
        Db.WaitFor(() => third.HasExited || Db.Scalar<long>(cs, $"select count(*) from nodes where id = 'same' and status = 'up' and pid = {third.Pid}") == 1,
            TimeSpan.FromSeconds(60), () => third.Log);
        Assert.False(third.HasExited, third.Log);
    }

    [Fact]
    public void Cancel_stops_unfinished_work_and_keeps_what_is_done()
    {
        var cs = pg.CreateDatabase();
        using var a = new NodeProcess(cs, "a", "sa=standin:latency=40ms,blocks=8", concurrency: 2);
        long s = Specs.Launch(cs, Specs.Standin("cancel", "sa", n: 12, sims: 40, every: 5));
        Db.WaitFor(() => Db.Scalar<long>(cs, "select count(*) from search_trees where status = 'done'") >= 1, Patience, () => Db.Diagnostics(cs, s, a));
        var (code, output, _) = DrllmProcess.Run("sweep", "cancel", s.ToString(), "--db", cs);
        Assert.Equal(0, code);
        Assert.Contains("cancelling", output);
        Db.WaitFor(() => Db.SweepStatus(cs, s) == "cancelled", Patience, () => Db.Diagnostics(cs, s, a));
        long done = Db.Scalar<long>(cs, "select count(*) from search_trees where status = 'done'");
        Assert.True(done >= 1);
        Assert.Equal(12 - done, Db.Scalar<long>(cs, "select count(*) from search_trees where status = 'cancelled'"));
        Thread.Sleep(1500); // a running search stops at its next checkpoint and writes nothing more
        Assert.Equal(0L, Db.Scalar<long>(cs, "select count(*) from search_trees where status = 'running'"));
        Assert.Equal(done, Db.Scalar<long>(cs, "select count(*) from search_trees where status = 'done'"));
        Assert.Equal("cancelled", Db.Scalar<string>(cs, $"select status from experiments where sweep_id = {s}"));
    }
}
