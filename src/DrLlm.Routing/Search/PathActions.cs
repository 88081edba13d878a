namespace DrLlm.Routing.Search;

/// <summary>
/// The moves from one path to its children (METHOD.md, "Search"): skip 1..MaxSkip consecutive steps at any position,
/// or repeat one step once, the copy placed right after it. A path stays non-empty, at most 2L steps, and runs a block
/// at most twice — the reference implementation allows a block to be repeated again and again; METHOD.md fixes "at most
/// one repeat per block", so the label y_l = count(l in path) stays in {0, 1, 2}.
/// </summary>
public static class PathActions
{
    /// <summary>Distinct children of <paramref name="steps"/>, in a fixed order (skips by position, then repeats).</summary>
    public static List<int[]> Children(IReadOnlyList<int> steps, int numBlocks, SearchOptions options)
    {
        var result = new List<int[]>();
        var seen = new HashSet<string>();
        void Add(int[] child)
        {
            if (seen.Add(Key(child))) result.Add(child);
        }
        int m = steps.Count;
        for (int len = 1; len <= options.MaxSkip; len++)
            for (int i = 0; i + len <= m; i++)
            {
                if (m - len < 1) continue; // never skip everything
                var child = new int[m - len];
                for (int j = 0, o = 0; j < m; j++)
                    if (j < i || j >= i + len) child[o++] = steps[j];
                Add(child);
            }
        if (options.AllowRepeat && m < 2 * numBlocks)
        {
            var count = new int[numBlocks];
            foreach (var b in steps) count[b]++;
            for (int i = 0; i < m; i++)
            {
                if (count[steps[i]] >= 2) continue;
                var child = new int[m + 1];
                for (int j = 0, o = 0; j < m; j++)
                {
                    child[o++] = steps[j];
                    if (j == i) child[o++] = steps[j];
                }
                Add(child);
            }
        }
        return result;
    }

    /// <summary>A path's identity in the memo and in serialised state: "0,1,1,3".</summary>
    public static string Key(IReadOnlyList<int> steps) => string.Join(",", steps);

    /// <summary>Per-block labels y_l = count(l in path) ∈ {0, 1, 2}.</summary>
    public static int[] Labels(IReadOnlyList<int> steps, int numBlocks)
    {
        var y = new int[numBlocks];
        foreach (var b in steps) y[b]++;
        return y;
    }
}
