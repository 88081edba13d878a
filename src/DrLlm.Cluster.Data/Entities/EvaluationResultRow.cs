namespace DrLlm.Cluster.Data;

/// <summary>A row of the table ClusterDb maps it to (db/0001_schema.sql documents the columns).</summary>
public sealed class EvaluationResultRow
{
    public long EvaluationId { get; set; }
    public long ExampleId { get; set; }
    public bool BaselineCorrect { get; set; }
    public bool RoutedCorrect { get; set; }
    public string? BaselineAnswer { get; set; }
    public string? RoutedAnswer { get; set; }
    public string? RoutedOutput { get; set; }
    public int[] RoutedPath { get; set; } = [];
    public int[] Decisions { get; set; } = [];
    public string? NodeId { get; set; }
    public DateTime CreatedAt { get; set; }
}
