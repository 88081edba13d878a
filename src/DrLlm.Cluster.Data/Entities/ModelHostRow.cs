namespace DrLlm.Cluster.Data;

/// <summary>A row of the table ClusterDb maps it to (db/0001_schema.sql documents the columns).</summary>
public sealed class ModelHostRow
{
    public string NodeId { get; set; } = "";
    public string Model { get; set; } = "";
    public string Path { get; set; } = "";
    public string Status { get; set; } = "loading";
    public double? LoadSeconds { get; set; }
    public long? MemoryBytes { get; set; }
    public string? Error { get; set; }
    public DateTime HeartbeatAt { get; set; }
}
