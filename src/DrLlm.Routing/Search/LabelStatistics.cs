namespace DrLlm.Routing.Search;

/// <summary>
/// The label set's summary, the figures METHOD.md quotes for the paper (4,000 kept examples; skip 4,399 / execute
/// 120,956 / repeat 1,457 block labels; 1.82 layers saved on average; ~30% wrong-to-correct fixes).
/// </summary>
public sealed record LabelStatistics(
    int Examples,
    int Kept,
    long Skip,
    long Execute,
    long Repeat,
    double AverageLayersSaved,
    double FixShare,
    double DefaultAccuracy)
{
    /// <summary>Kept = examples with a correct path (hence a label vector). Layers saved = L − |best path|.</summary>
    public static LabelStatistics Compute(IEnumerable<SearchResult> results, int numBlocks)
    {
        int examples = 0, kept = 0, fixes = 0, defaultRight = 0;
        long skip = 0, execute = 0, repeat = 0, saved = 0;
        foreach (var r in results)
        {
            examples++;
            if (r.DefaultCorrect) defaultRight++;
            if (r.Labels is null) continue;
            kept++;
            if (!r.DefaultCorrect) fixes++;
            saved += numBlocks - r.BestPath!.Length;
            foreach (var y in r.Labels)
            {
                if (y == 0) skip++;
                else if (y == 1) execute++;
                else repeat++;
            }
        }
        return new LabelStatistics(examples, kept, skip, execute, repeat,
            kept == 0 ? 0 : (double)saved / kept, kept == 0 ? 0 : (double)fixes / kept,
            examples == 0 ? 0 : (double)defaultRight / examples);
    }
}
