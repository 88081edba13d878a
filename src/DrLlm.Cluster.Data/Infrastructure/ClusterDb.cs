using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace DrLlm.Cluster.Data;

/// <summary>
/// EF Core (Npgsql) over the hand-written schema in db/ (Microsoft.EntityFrameworkCore.Design does not restore here, so
/// the schema is SQL, applied by <see cref="Migrator"/>, and this context only maps it: PascalCase properties onto
/// snake_case columns, jsonb for JSON text, database defaults for timestamps).
/// </summary>
public sealed class ClusterDb(DbContextOptions<ClusterDb> options) : DbContext(options)
{
    public DbSet<NodeRow> Nodes => Set<NodeRow>();
    public DbSet<BaseModelRow> BaseModels => Set<BaseModelRow>();
    public DbSet<ModelHostRow> ModelHosts => Set<ModelHostRow>();
    public DbSet<TaskRow> Tasks => Set<TaskRow>();
    public DbSet<SweepRow> Sweeps => Set<SweepRow>();
    public DbSet<ExperimentRow> Experiments => Set<ExperimentRow>();
    public DbSet<ExampleRow> Examples => Set<ExampleRow>();
    public DbSet<SearchTreeRow> SearchTrees => Set<SearchTreeRow>();
    public DbSet<TrainingRunRow> TrainingRuns => Set<TrainingRunRow>();
    public DbSet<TrainingEpochRow> TrainingEpochs => Set<TrainingEpochRow>();
    public DbSet<RouterCheckpointRow> RouterCheckpoints => Set<RouterCheckpointRow>();
    public DbSet<EvaluationRow> Evaluations => Set<EvaluationRow>();
    public DbSet<EvaluationResultRow> EvaluationResults => Set<EvaluationResultRow>();
    public DbSet<FailureRow> Failures => Set<FailureRow>();

    public static ClusterDb Open(string connectionString) =>
        new(new DbContextOptionsBuilder<ClusterDb>().UseNpgsql(connectionString).Options);

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<NodeRow>().ToTable("nodes");
        b.Entity<BaseModelRow>().ToTable("base_models").HasKey(x => x.Name);
        b.Entity<ModelHostRow>().ToTable("model_hosts").HasKey(x => new { x.NodeId, x.Model });
        b.Entity<TaskRow>().ToTable("tasks");
        b.Entity<SweepRow>().ToTable("sweeps");
        b.Entity<ExperimentRow>().ToTable("experiments");
        b.Entity<ExampleRow>().ToTable("examples");
        b.Entity<SearchTreeRow>().ToTable("search_trees");
        b.Entity<TrainingRunRow>().ToTable("training_runs");
        b.Entity<TrainingEpochRow>().ToTable("training_epochs").HasKey(x => new { x.TrainingRunId, x.Epoch });
        b.Entity<RouterCheckpointRow>().ToTable("router_checkpoints");
        b.Entity<EvaluationRow>().ToTable("evaluations");
        b.Entity<EvaluationResultRow>().ToTable("evaluation_results").HasKey(x => new { x.EvaluationId, x.ExampleId });
        b.Entity<FailureRow>().ToTable("failures");

        b.Entity<SweepRow>().Property(x => x.Spec).HasColumnType("jsonb");
        b.Entity<ExperimentRow>().Property(x => x.Settings).HasColumnType("jsonb");
        b.Entity<ExampleRow>().Property(x => x.Item).HasColumnType("jsonb");
        b.Entity<SearchTreeRow>().Property(x => x.State).HasColumnType("jsonb");
        b.Entity<TrainingRunRow>().Property(x => x.Options).HasColumnType("jsonb");
        b.Entity<RouterCheckpointRow>().Property(x => x.Metadata).HasColumnType("jsonb");

        foreach (var entity in b.Model.GetEntityTypes())
            foreach (var p in entity.GetProperties())
            {
                p.SetColumnName(SnakeCase(p.Name));
                // Timestamps the database fills: EF leaves them out of an INSERT while they hold default(DateTime).
                if (p.ClrType == typeof(DateTime) && p.Name is "StartedAt" or "HeartbeatAt" or "RegisteredAt" or "CreatedAt"
                        or "UpdatedAt" or "At")
                    p.SetDefaultValueSql("now()");
            }
    }

    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (!char.IsUpper(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])))) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
