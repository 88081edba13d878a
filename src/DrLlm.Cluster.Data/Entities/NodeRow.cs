namespace DrLlm.Cluster.Data;

/// <summary>A row of the table ClusterDb maps it to (db/0001_schema.sql documents the columns).</summary>
public sealed class NodeRow
{
    public string Id { get; set; } = "";
    public string Host { get; set; } = "";
    public int Pid { get; set; }
    public int Concurrency { get; set; }
    public string Status { get; set; } = "up";
    public DateTime StartedAt { get; set; }
    public DateTime HeartbeatAt { get; set; }
    public DateTime? LeftAt { get; set; }
}
