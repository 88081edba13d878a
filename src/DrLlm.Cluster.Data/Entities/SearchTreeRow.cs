namespace DrLlm.Cluster.Data;

/// <summary>A row of the table ClusterDb maps it to (db/0001_schema.sql documents the columns).</summary>
public sealed class SearchTreeRow
{
    public long Id { get; set; }
    public long ExperimentId { get; set; }
    public long ExampleId { get; set; }
    public long Seed { get; set; }
    public string Status { get; set; } = "pending";
    public string? NodeId { get; set; }
    public int Attempt { get; set; }
    public int Executions { get; set; }
    public int Simulations { get; set; }
    public int? ResumedFrom { get; set; }
    public string? State { get; set; }
    public long BlockRuns { get; set; }
    public long BlockRunsSaved { get; set; }
    public double SearchSeconds { get; set; }
    public double JobSeconds { get; set; }
    public double EvalSeconds { get; set; }
    public int? PathsEvaluated { get; set; }
    public bool? DefaultCorrect { get; set; }
    public int[]? BestPath { get; set; }
    public bool? BestCorrect { get; set; }
    public string? DefaultAnswer { get; set; }
    public string? BestAnswer { get; set; }
    public int[]? Labels { get; set; }
    public string? StopReason { get; set; }
    public string? Error { get; set; }
    public DateTime? CheckpointedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
