namespace DrLlm.Cluster.Data;

/// <summary>A row of the table ClusterDb maps it to (db/0001_schema.sql documents the columns).</summary>
public sealed class SweepRow
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string Spec { get; set; } = "{}";
    public string SpecText { get; set; } = "";
    public string Status { get; set; } = "queued";
    public string? Error { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
}
