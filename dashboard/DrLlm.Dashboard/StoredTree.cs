using System.Text.Json;

namespace DrLlm.Dashboard;

/// <summary>
/// What the path viewer reads of a search tree's stored state (search_trees.state, written by the method's
/// SearchState as snake_case JSON): nodes with their paths and visits, and which paths were evaluated. A read model of
/// the stored JSON, so the dashboard needs no reference to the method.
/// </summary>
public sealed class StoredTree
{
    public sealed class Node
    {
        public int[] Steps { get; init; } = [];
        public int Parent { get; init; }
        public List<int>? Children { get; init; }
        public int Visits { get; init; }
        public double ValueSum { get; init; }
    }

    public int NumBlocks { get; init; }
    public List<Node> Nodes { get; init; } = [];
    /// <summary>Evaluated paths ("0,1,2,…") and whether each answered correctly.</summary>
    public Dictionary<string, bool> Memo { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Reads the stored state; a state that does not parse is named with its tree.</summary>
    public static StoredTree Parse(string json, long treeId)
    {
        StoredTree? t;
        try { t = JsonSerializer.Deserialize<StoredTree>(json, Json); }
        catch (JsonException e) { throw new FormatException($"search tree {treeId}: its stored state is not readable ({e.Message})"); }
        if (t is null || t.Nodes.Count == 0) throw new FormatException($"search tree {treeId}: its stored state has no nodes");
        foreach (var n in t.Nodes)
            if (n.Parent >= t.Nodes.Count || (n.Children ?? []).Any(c => c < 0 || c >= t.Nodes.Count))
                throw new FormatException($"search tree {treeId}: its stored state names a node that is not there");
        return t;
    }

    /// <summary>Per block, how often it runs in <paramref name="path"/>: 0 skip, 1 execute, 2 repeat (the router labels).</summary>
    public static int[] BlockCounts(int[] path, int blocks)
    {
        var counts = new int[blocks];
        foreach (var b in path) if (b >= 0 && b < blocks) counts[b]++;
        return counts;
    }
}
