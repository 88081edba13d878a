namespace DrLlm.Cluster.Data;

/// <summary>A row of the table ClusterDb maps it to (db/0001_schema.sql documents the columns).</summary>
public sealed class ExampleRow
{
    public long Id { get; set; }
    public long ExperimentId { get; set; }
    public string Role { get; set; } = "search";
    public string Task { get; set; } = "";
    public string Split { get; set; } = "";
    public string ItemId { get; set; } = "";
    public int? Level { get; set; }
    public string Prompt { get; set; } = "";
    public string Gold { get; set; } = "";
    public string Item { get; set; } = "{}";
}
