namespace DrLlm.Cluster.Data;

/// <summary>A row of the table ClusterDb maps it to (db/0001_schema.sql documents the columns).</summary>
public sealed class TrainingEpochRow
{
    public long TrainingRunId { get; set; }
    public int Epoch { get; set; }
    public double TrainLoss { get; set; }
    public double? ValidationLoss { get; set; }
    public double ValidationAccuracy { get; set; }
    public double ValidationMacroF1 { get; set; }
    public double[] ValidationClassAccuracy { get; set; } = [];
}
