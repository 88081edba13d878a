namespace DrLlm.Cluster.Data;

/// <summary>A row of the table ClusterDb maps it to (db/0001_schema.sql documents the columns).</summary>
public sealed class TaskRow
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string File { get; set; } = "";
    public bool InDomain { get; set; }
}
