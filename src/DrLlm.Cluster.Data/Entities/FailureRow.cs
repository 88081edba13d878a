namespace DrLlm.Cluster.Data;

/// <summary>A row of the table ClusterDb maps it to (db/0001_schema.sql documents the columns).</summary>
public sealed class FailureRow
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    public string Actor { get; set; } = "";
    public string ActorKey { get; set; } = "";
    public long? SweepId { get; set; }
    public long? ExperimentId { get; set; }
    public string? NodeId { get; set; }
    public string Reason { get; set; } = "";
}
