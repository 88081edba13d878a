namespace DrLlm.Cluster.Data;

/// <summary>A row of the table ClusterDb maps it to (db/0001_schema.sql documents the columns).</summary>
public sealed class RouterCheckpointRow
{
    public long Id { get; set; }
    public long ExperimentId { get; set; }
    public string BaseModel { get; set; } = "";
    public string BaseSha256 { get; set; } = "";
    public int Blocks { get; set; }
    public int HiddenSize { get; set; }
    public int RouterHidden { get; set; }
    public int Windows { get; set; }
    public double? ValidationAccuracy { get; set; }
    public double? ValidationMacroF1 { get; set; }
    public byte[] Weights { get; set; } = [];
    public string Metadata { get; set; } = "{}";
    public DateTime CreatedAt { get; set; }
}
