using DrLlm.Cluster.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace DrLlm.Cluster.Tests;

[Collection("pg")]
public sealed class MigrationTests(PostgresServer pg)
{
    private static long Scalar(string cs, string sql)
    {
        using var conn = new NpgsqlConnection(cs);
        conn.Open();
        using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    [Fact]
    public async Task Migrations_apply_once_and_are_recorded()
    {
        var cs = pg.CreateDatabase();
        var first = await Migrator.MigrateAsync(cs);
        Assert.Equal(Migrator.Embedded().Select(m => m.Version), first);
        Assert.Empty(await Migrator.MigrateAsync(cs));
        Assert.Equal(Migrator.Embedded().Count, Scalar(cs, "select count(*) from schema_migrations"));
        // Orleans' membership lives in our own tables; nothing of Quartz is left
        Assert.Equal(2, Scalar(cs, "select count(*) from information_schema.tables where table_name in ('orleans_membership', 'orleans_membership_version')"));
        Assert.Equal(0, Scalar(cs, "select count(*) from information_schema.tables where table_name like 'qrtz%'"));
    }

    /// <summary>One spelling of every status: each enum's database names are exactly what the CHECK constraint allows.</summary>
    [Theory]
    [InlineData("search_trees", "status", typeof(WorkStatus))]
    [InlineData("training_runs", "status", typeof(WorkStatus))]
    [InlineData("evaluations", "status", typeof(WorkStatus))]
    [InlineData("sweeps", "status", typeof(SweepStatus))]
    [InlineData("experiments", "status", typeof(ExperimentStatus))]
    [InlineData("experiments", "stage", typeof(ExperimentStage))]
    [InlineData("nodes", "status", typeof(NodeStatus))]
    [InlineData("model_hosts", "status", typeof(ModelHostStatus))]
    public async Task Status_enums_match_the_check_constraints(string table, string column, Type statuses)
    {
        var cs = pg.CreateDatabase();
        await Migrator.MigrateAsync(cs);
        using var conn = new NpgsqlConnection(cs);
        conn.Open();
        using var cmd = new NpgsqlCommand("""
            select pg_get_constraintdef(c.oid) from pg_constraint c join pg_class t on t.oid = c.conrelid
            where t.relname = $1 and c.contype = 'c' and pg_get_constraintdef(c.oid) like '%(' || $2 || ' %'
            """, conn);
        cmd.Parameters.Add(new() { Value = table });
        cmd.Parameters.Add(new() { Value = column });
        var def = (string)cmd.ExecuteScalar()!;
        var allowed = System.Text.RegularExpressions.Regex.Matches(def, "'([a-z_-]+)'::text").Select(m => m.Groups[1].Value).Order().ToList();
        var spelled = Enum.GetNames(statuses).Select(n => n.ToLowerInvariant()).Order().ToList();
        Assert.Equal(spelled, allowed);
    }

    [Fact]
    public async Task Concurrent_starts_apply_each_migration_exactly_once()
    {
        var cs = pg.CreateDatabase();
        var runs = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => Migrator.MigrateAsync(cs))));
        var all = runs.SelectMany(r => r).ToList();
        Assert.Equal(Migrator.Embedded().Select(m => m.Version).Order(), all.Order());
        Assert.Equal(1, runs.Count(r => r.Count > 0));
    }

    [Fact]
    public async Task An_edited_applied_migration_is_refused()
    {
        var cs = pg.CreateDatabase();
        await Migrator.MigrateAsync(cs);
        using (var conn = new NpgsqlConnection(cs))
        {
            conn.Open();
            using var cmd = new NpgsqlCommand("update schema_migrations set sha256 = 'deadbeefdeadbeef' where version = 1", conn);
            cmd.ExecuteNonQuery();
        }
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Migrator.MigrateAsync(cs));
        Assert.Contains("0001_schema", e.Message);
    }

    [Fact]
    public async Task Entities_map_onto_the_schema_and_views_answer()
    {
        var cs = pg.CreateDatabase();
        await Migrator.MigrateAsync(cs);
        await using var db = ClusterDb.Open(cs);
        // Every mapped entity can be queried (a misnamed column fails here).
        Assert.Empty(await db.Nodes.ToListAsync());
        Assert.Empty(await db.BaseModels.ToListAsync());
        Assert.Empty(await db.ModelHosts.ToListAsync());
        Assert.Empty(await db.Tasks.ToListAsync());
        Assert.Empty(await db.Sweeps.ToListAsync());
        Assert.Empty(await db.Experiments.ToListAsync());
        Assert.Empty(await db.Examples.ToListAsync());
        Assert.Empty(await db.SearchTrees.ToListAsync());
        Assert.Empty(await db.TrainingRuns.ToListAsync());
        Assert.Empty(await db.TrainingEpochs.ToListAsync());
        Assert.Empty(await db.RouterCheckpoints.ToListAsync());
        Assert.Empty(await db.Evaluations.ToListAsync());
        Assert.Empty(await db.EvaluationResults.ToListAsync());
        Assert.Empty(await db.Failures.ToListAsync());
        db.Sweeps.Add(new SweepRow { Name = "s", Spec = "{}", SpecText = "{}", Status = "queued" });
        await db.SaveChangesAsync();
        foreach (var view in new[] { "v_nodes", "v_search_progress", "v_label_statistics", "v_router_metrics", "v_evaluations", "v_experiments", "v_sweep_progress" })
            Assert.True(Scalar(cs, $"select count(*) from {view}") >= 0);
        Assert.Equal(1, Scalar(cs, "select count(*) from v_sweep_progress where status = 'queued'"));
    }
}
