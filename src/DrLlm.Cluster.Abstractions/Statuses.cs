namespace DrLlm.Cluster;

// One spelling of every status. The database stores the lower-case names (db/0001_schema.sql's CHECK constraints
// list exactly these; a test compares them), and C# compares through these enums and StatusText.

/// <summary>A unit of work of a grain: a search tree, a training run, an evaluation.</summary>
public enum WorkStatus { Pending, Running, Done, Failed, Cancelled }

/// <summary>A sweep: queued (inserted by a client), running (expanded), cancelling (asked to stop), then an end state.</summary>
public enum SweepStatus { Queued, Running, Cancelling, Cancelled, Done, Failed }

/// <summary>Whether an experiment's current stage is queued, running or ended.</summary>
public enum ExperimentStatus { Queued, Running, Done, Failed, Cancelled }

/// <summary>An experiment's stages, in order.</summary>
public enum ExperimentStage { Search, Train, Evaluate, Done }

/// <summary>A silo as the nodes table records it; lost = its heartbeat stopped without it leaving.</summary>
public enum NodeStatus { Up, Leaving, Left, Lost }

/// <summary>A base model on one silo.</summary>
public enum ModelHostStatus { Loading, Ready, Failed, Stopped }

public static class StatusText
{
    /// <summary>The spelling stored in the database.</summary>
    public static string Db<T>(this T status) where T : struct, Enum => status.ToString().ToLowerInvariant();

    /// <summary>Reads a stored spelling; anything else is a schema mismatch and says so.</summary>
    public static T Parse<T>(string text) where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var s) && s.Db() == text
            ? s
            : throw new FormatException($"'{text}' is not a {typeof(T).Name} ({string.Join(", ", Enum.GetValues<T>().Select(v => v.Db()))})");

    public static bool IsFinished(this SweepStatus s) => s is SweepStatus.Done or SweepStatus.Cancelled or SweepStatus.Failed;
    public static bool IsOpen(this WorkStatus s) => s is WorkStatus.Pending or WorkStatus.Running;
}
