namespace DrLlm.Cluster.Tests;

/// <summary>PostgreSQL restarted mid-sweep: a server of the test's own, so the restart disturbs no other test.</summary>
public sealed class PostgresRestartTests
{
    [Fact]
    public void Nodes_ride_out_a_database_restart_and_the_sweep_completes()
    {
        using var pg = new PostgresServer();
        var cs = pg.CreateDatabase();
        using var a = new NodeProcess(cs, "a", "sa=standin:latency=30ms,blocks=8");
        using var b = new NodeProcess(cs, "b", "sa=standin:latency=30ms,blocks=8");
        long s = Specs.Launch(cs, Specs.Standin("restart", "sa", n: 10, sims: 30, every: 5));
        Db.WaitFor(() => Db.Scalar<long>(cs, "select count(*) from search_trees where status = 'running' and simulations >= 5") >= 2,
            TimeSpan.FromSeconds(60), () => Db.Diagnostics(cs, s, a, b));
        pg.Stop();
        Thread.Sleep(3000);
        pg.Start();
        Db.WaitFor(() => Db.SweepStatus(cs, s) is "done" or "failed", TimeSpan.FromSeconds(150), () => Db.Diagnostics(cs, s, a, b));
        string diag() => Db.Diagnostics(cs, s, a, b);
        Assert.True(Db.SweepStatus(cs, s) == "done", diag());
        Assert.False(a.HasExited, a.Log);
        Assert.False(b.HasExited, b.Log);
        Assert.Equal(10L, Db.Scalar<long>(cs, "select count(*) from search_trees where status = 'done'"));
        Assert.Equal(0L, Db.Scalar<long>(cs, "select count(*) from failures"));
        Assert.Equal(8L, Db.Scalar<long>(cs, "select count(*) from evaluation_results")); // 4 arith + 4 ood-count, once each
    }
}

/// <summary>A sweep on the real engine with the shipped demo model (tiny sizes; its accuracy is not what is tested).</summary>
[Collection("pg")]
public sealed class RealModelSweepTests(PostgresServer pg)
{
    [Fact]
    public void A_sweep_runs_on_the_demo_model()
    {
        var demo = DrLlm.Tests.Shared.RepoPaths.DemoModel;
        var cs = pg.CreateDatabase();
        using var node = new NodeProcess(cs, "real", $"demo={demo}", concurrency: 1);
        long s = Specs.Launch(cs, """
            name: real
            models: [demo]
            tasks:
              - name: arith
                search: {split: train, n: 6}
                eval: {split: test, n: 3}
            search: {simulations: 10, checkpoint_every: 3, sessions: 2}
            router: {epochs: 2, hidden: 16}
            """);
        Db.WaitFor(() => Db.SweepStatus(cs, s) is "done" or "failed", TimeSpan.FromSeconds(240), () => Db.Diagnostics(cs, s, node));
        string diag() => Db.Diagnostics(cs, s, node);
        Assert.Equal("done", Db.SweepStatus(cs, s));
        // The model was registered with its real identity and every search ran on the engine.
        Assert.Equal(8L, Db.Scalar<long>(cs, "select blocks from base_models where name = 'demo'"));
        Assert.Equal(64, Db.Scalar<string>(cs, "select sha256 from base_models where name = 'demo'").Length);
        Assert.True(Db.Scalar<long>(cs, "select count(*) from search_trees where status = 'done' and block_runs > 0 and simulations > 0") == 6, diag());
        // Each tree keeps the answers behind its two correctness flags: a path graded correct has an answer, the gold one.
        Assert.Equal(0L, Db.Scalar<long>(cs, """
            select count(*) from search_trees t join examples x on x.id = t.example_id
            where (t.default_correct and t.default_answer is null) or (t.best_correct and t.best_answer is null)
            """));
        Assert.True(Db.Scalar<long>(cs, "select count(*) from search_trees where default_answer is not null or best_answer is not null") > 0, diag());
        // Either routers were trained and evaluated, or training failed for want of labels, with that reason on record.
        var status = Db.Scalar<string>(cs, $"select status from experiments where sweep_id = {s}");
        long labelled = Db.Scalar<long>(cs, "select count(*) from search_trees where labels is not null");
        if (labelled >= 2)
        {
            Assert.True(status == "done", diag());
            Assert.Equal(3L, Db.Scalar<long>(cs, "select count(*) from evaluation_results"));
            Assert.Equal(3L, Db.Scalar<long>(cs, "select count(*) from evaluation_results where cardinality(routed_path) between 1 and 16 and cardinality(decisions) = 8"));
        }
        else
        {
            Assert.Equal("failed", status);
            Assert.Contains("router training needs at least 2", Db.Scalar<string>(cs, $"select error from experiments where sweep_id = {s}"));
        }
    }
}
