namespace DrLlm.Cluster.Data;

/// <summary>A row of the table ClusterDb maps it to (db/0001_schema.sql documents the columns).</summary>
public sealed class ExperimentRow
{
    public long Id { get; set; }
    public long SweepId { get; set; }
    public string Model { get; set; } = "";
    public long TaskId { get; set; }
    public string Settings { get; set; } = "{}";
    public string SettingsKey { get; set; } = "";
    public int Seed { get; set; }
    public string Stage { get; set; } = "search";
    public string Status { get; set; } = "queued";
    public string? Error { get; set; }
    /// <summary>Why the experiment waits (no live silo hosts its model), or null.</summary>
    public string? Waiting { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
