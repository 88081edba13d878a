using DrLlm.Engine.Model;

namespace DrLlm.Routing.Search;

/// <summary>
/// The moves from one path to its children (METHOD.md, "Search"): skip 1..MaxSkip consecutive steps at any position,
/// or repeat one step once, the copy placed right after it. Which moves a path allows (never empty, at most two runs of
/// a block, at most 2L steps) is <see cref="LayerPath"/>'s rule, not this class's.
/// </summary>
public static class PathActions
{
    /// <summary>Distinct children of <paramref name="path"/>, in a fixed order (skips by length and position, then repeats).</summary>
    public static List<LayerPath> Children(LayerPath path, SearchOptions options)
    {
        var result = new List<LayerPath>();
        var seen = new HashSet<LayerPath>();
        void Add(LayerPath? child)
        {
            if (child is not null && seen.Add(child)) result.Add(child);
        }
        for (int len = 1; len <= options.MaxSkip; len++)
            for (int i = 0; i + len <= path.Length; i++)
                Add(path.WithoutSteps(i, len));
        if (options.AllowRepeat)
            for (int i = 0; i < path.Length; i++)
                Add(path.WithRepeat(i));
        return result;
    }
}
