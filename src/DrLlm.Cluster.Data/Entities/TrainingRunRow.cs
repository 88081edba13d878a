namespace DrLlm.Cluster.Data;

/// <summary>A row of the table ClusterDb maps it to (db/0001_schema.sql documents the columns).</summary>
public sealed class TrainingRunRow
{
    public long Id { get; set; }
    public long ExperimentId { get; set; }
    public string Status { get; set; } = "pending";
    public string? NodeId { get; set; }
    public int Attempt { get; set; }
    public int Epochs { get; set; }
    public int Epoch { get; set; }
    public string Options { get; set; } = "{}";
    public int? TrainExamples { get; set; }
    public int? ValidationExamples { get; set; }
    public byte[]? TrainerState { get; set; }
    public string? TrainerStateJson { get; set; }
    public string? Error { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
