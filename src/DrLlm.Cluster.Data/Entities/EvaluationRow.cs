namespace DrLlm.Cluster.Data;

/// <summary>A row of the table ClusterDb maps it to (db/0001_schema.sql documents the columns).</summary>
public sealed class EvaluationRow
{
    public long Id { get; set; }
    public long ExperimentId { get; set; }
    public string Task { get; set; } = "";
    public string Split { get; set; } = "";
    public string Domain { get; set; } = "in-domain";
    public string Status { get; set; } = "pending";
    public string? NodeId { get; set; }
    public int Attempt { get; set; }
    public int N { get; set; }
    public double? BaselineAccuracy { get; set; }
    public double? RoutedAccuracy { get; set; }
    public double? BaselineAvgLayers { get; set; }
    public double? RoutedAvgLayers { get; set; }
    public double? RouterSeconds { get; set; }
    public string? Error { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
