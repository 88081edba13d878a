namespace DrLlm.Cluster;

/// <summary>
/// Every grain key, built and read here only. Work that needs a base model is keyed "{model}/{kind}/{id}" so the model
/// placement (ModelPlacement) can read the model from the key and activate the grain only on a silo that hosts it; a
/// model host is keyed "{model}@{node}": that model on that silo. Model names use letters, digits, '-', '_' and '.',
/// never '/' or '@' (ModelSources checks), so the split is unambiguous. The numeric id is the row's id in PostgreSQL.
/// </summary>
public static class GrainKeys
{
    public const string TreeKind = "tree", TrainKind = "train", EvalKind = "eval";

    public static string SearchTree(string model, long treeId) => $"{model}/{TreeKind}/{treeId}";
    public static string TrainingJob(string model, long experimentId) => $"{model}/{TrainKind}/{experimentId}";
    public static string Evaluation(string model, long evaluationId) => $"{model}/{EvalKind}/{evaluationId}";
    public static string ModelHost(string model, string node) => $"{model}@{node}";

    /// <summary>The base model a key names, or null for a key that names none.</summary>
    public static string? ModelOf(string key)
    {
        int at = key.IndexOf('@'), slash = key.IndexOf('/');
        if (at > 0 && (slash < 0 || at < slash)) return key[..at];
        return slash > 0 ? key[..slash] : null;
    }

    /// <summary>The silo (node id) a model host key pins, or null.</summary>
    public static string? NodeOf(string key)
    {
        int at = key.IndexOf('@');
        return at > 0 && key.IndexOf('/') < 0 ? key[(at + 1)..] : null;
    }

    /// <summary>The kind of a work key ("{model}/{kind}/{id}": tree, train or eval).</summary>
    public static string KindOf(string key)
    {
        int first = key.IndexOf('/'), last = key.LastIndexOf('/');
        return first > 0 && last > first ? key[(first + 1)..last] : throw new FormatException($"grain key '{key}' is not MODEL/KIND/ID");
    }

    /// <summary>The row id at the end of a work key ("{model}/{kind}/{id}").</summary>
    public static long IdOf(string key)
    {
        int slash = key.LastIndexOf('/');
        return slash > 0 && long.TryParse(key.AsSpan(slash + 1), out var id) ? id
            : throw new FormatException($"grain key '{key}' is not MODEL/KIND/ID");
    }
}
