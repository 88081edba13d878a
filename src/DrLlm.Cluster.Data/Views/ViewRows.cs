namespace DrLlm.Cluster.Data;

// The read models: one record per view of db/0002_views.sql (and v_silos of 0003), mapped by ClusterViews by column
// name. The CLI and the dashboard both read through these.

/// <summary>A sweep's progress per stage (v_sweep_progress).</summary>
public sealed record SweepProgress(long Id, string Name, string Status, int Experiments, int ExperimentsDone, int ExperimentsFailed,
    int Trees, int TreesFinished, int Trainings, int TrainingsFinished, int Evaluations, int EvaluationsFinished, int Failures,
    DateTime CreatedAt, DateTime? FinishedAt)
{
    public bool IsFinished => StatusText.Parse<SweepStatus>(Status).IsFinished();
}

/// <summary>One line of v_experiments.</summary>
public sealed record ExperimentView(long Id, string Model, string Task, string SettingsKey, int Seed, string Stage, string Status, string? Error,
    double? BaselineAccuracy, double? RoutedAccuracy, double? Delta, double? LayersSaved, double? OodBaselineAccuracy, double? OodRoutedAccuracy,
    double? OodDelta, long Trees, long TreesDone, long SimulationsDone, double? RouterBlockAccuracy, double? RouterMacroF1, string? Waiting);

/// <summary>One line of v_search_progress.</summary>
public sealed record SearchProgressView(long ExperimentId, string Model, string Task, int Seed, long Trees, long Pending, long Running, long Done,
    long Failed, long SimulationsDone, long SimulationBudget, long Labelled, long Resumes);

/// <summary>One line of v_label_statistics.</summary>
public sealed record LabelStatisticsView(long ExperimentId, string Model, string Task, int Seed, long Examples, long Kept, long SkipLabels,
    long ExecuteLabels, long RepeatLabels, double? AvgLayersSaved, double? FixShare, double? DefaultAccuracy);

/// <summary>One line of v_router_metrics.</summary>
public sealed record RouterMetricsView(long ExperimentId, string Model, string Task, int Seed, string? TrainingStatus, int? EpochsDone, int? Epochs,
    int? TrainExamples, int? ValidationExamples, double? TrainLoss, double? ValidationLoss, double? BlockAccuracy, double? MacroF1, double[]? ClassRecall);

/// <summary>One line of v_evaluations.</summary>
public sealed record EvaluationView(long Id, long ExperimentId, string Model, string Task, string Split, string Domain, int Seed, string Status,
    int N, long Evaluated, double? BaselineAccuracy, double? RoutedAccuracy, double? Delta, double? BaselineAvgLayers, double? RoutedAvgLayers,
    double? LayersSaved);

/// <summary>A node as v_nodes shows it.</summary>
public sealed record NodeLine(string Id, string Host, int Pid, int Concurrency, string Status, double HeartbeatAge, string Models);

/// <summary>A failure record: what failed (actor and key), on which node, and why.</summary>
public sealed record FailureLine(string Actor, string Key, string? Node, string Reason);
