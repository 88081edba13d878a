namespace DrLlm.Cluster.Data;

// Entities mapped onto the hand-written schema of db/0001_schema.sql (ClusterDb maps PascalCase to snake_case).
// Comments on the tables themselves live in the SQL.

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

public sealed class BaseModelRow
{
    public string Name { get; set; } = "";
    public string Path { get; set; } = "";
    public string Format { get; set; } = "";
    public string Sha256 { get; set; } = "";
    public int Blocks { get; set; }
    public int HiddenSize { get; set; }
    public DateTime RegisteredAt { get; set; }
}

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

public sealed class TaskRow
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string File { get; set; } = "";
    public bool InDomain { get; set; }
}

public sealed class SweepRow
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string Spec { get; set; } = "{}";
    public string SpecText { get; set; } = "";
    public string Status { get; set; } = "queued";
    public string? Error { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
}

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
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

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

public sealed class SearchTreeRow
{
    public long Id { get; set; }
    public long ExperimentId { get; set; }
    public long ExampleId { get; set; }
    public long Seed { get; set; }
    public string Status { get; set; } = "pending";
    public string? NodeId { get; set; }
    public int Attempt { get; set; }
    public int Executions { get; set; }
    public int Simulations { get; set; }
    public int? ResumedFrom { get; set; }
    public string? State { get; set; }
    public long BlockRuns { get; set; }
    public long BlockRunsSaved { get; set; }
    public double SearchSeconds { get; set; }
    public double JobSeconds { get; set; }
    public double EvalSeconds { get; set; }
    public int? PathsEvaluated { get; set; }
    public bool? DefaultCorrect { get; set; }
    public int[]? BestPath { get; set; }
    public bool? BestCorrect { get; set; }
    public int[]? Labels { get; set; }
    public string? StopReason { get; set; }
    public string? Error { get; set; }
    public DateTime? CheckpointedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public sealed class TrainingRunRow
{
    public long Id { get; set; }
    public long ExperimentId { get; set; }
    public string Status { get; set; } = "pending";
    public string? NodeId { get; set; }
    public int Attempt { get; set; }
    public int Epochs { get; set; }
    public int Epoch { get; set; }
    public string Options { get; set; } = "{}";
    public int? TrainExamples { get; set; }
    public int? ValidationExamples { get; set; }
    public byte[]? TrainerState { get; set; }
    public string? TrainerStateJson { get; set; }
    public string? Error { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

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
