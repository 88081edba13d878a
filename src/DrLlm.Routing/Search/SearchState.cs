using System.Text.Json;
using System.Text.Json.Serialization;
using DrLlm.Engine.Model;

namespace DrLlm.Routing.Search;

/// <summary>One tree node: a path, where it hangs, and its MCTS statistics.</summary>
public sealed class SearchNode
{
    /// <summary>The node's path as stored: its steps, e.g. [0, 1, 1, 3].</summary>
    public required int[] Steps { get; init; }
    /// <summary>The same path as a <see cref="LayerPath"/>, made once from <see cref="Steps"/> when first needed.</summary>
    [JsonIgnore] internal LayerPath? Path { get; set; }
    /// <summary>Index of the parent node; -1 for the root.</summary>
    public required int Parent { get; init; }
    /// <summary>Indices of the children; null until the node is first expanded.</summary>
    public List<int>? Children { get; set; }
    public int Visits { get; set; }
    /// <summary>Sum of backed-up rewards (Q).</summary>
    public double ValueSum { get; set; }
}

/// <summary>An early stop for <paramref name="Reason"/> that ends the search once every child of node <paramref name="Parent"/> is evaluated.</summary>
public sealed record PendingStop(string Reason, int Parent);

/// <summary>
/// Everything a search is, as plain data: options, tree, memo, RNG words and counters. It serialises at any simulation
/// boundary, and a search rebuilt from it continues exactly as the original would have.
/// </summary>
public sealed class SearchState
{
    public const int FormatVersion = 1;

    public int Version { get; init; } = FormatVersion;
    public required int NumBlocks { get; init; }
    public required SearchOptions Options { get; init; }
    public required List<SearchNode> Nodes { get; init; }
    /// <summary>Path key (<see cref="LayerPath.ToString"/>, "0,1,1,3") → reward. A path is evaluated at most once.</summary>
    public required Dictionary<string, bool> Memo { get; init; }
    public required ulong[] Rng { get; set; }
    public int Simulations { get; set; }
    public bool? DefaultCorrect { get; set; }
    /// <summary>Why the search ended ("budget", "fixed": a wrong default was fixed, "shorter": a correct path saves enough steps), or null while it runs.</summary>
    public string? StopReason { get; set; }
    /// <summary>An early stop waiting for the siblings of the path that triggered it (<see cref="SearchOptions.EarlyStopAfterSiblings"/>); null otherwise.</summary>
    public PendingStop? PendingStop { get; set; }

    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses and checks a serialised state; <paramref name="source"/> names it in errors.</summary>
    public static SearchState FromJson(string json, string source)
    {
        SearchState? s;
        try { s = JsonSerializer.Deserialize<SearchState>(json, Json); }
        catch (JsonException e) { throw new FormatException($"{source}: search state is not valid JSON ({e.Message})", e); }
        if (s is null) throw new FormatException($"{source}: search state is empty");
        if (s.Version != FormatVersion) throw new FormatException($"{source}: search state version {s.Version}; this build reads {FormatVersion}");
        // "required" only asks the JSON to name a field; a null there would surface later as a NullReferenceException.
        if (s.Options is null || s.Nodes is null || s.Memo is null)
            throw new FormatException($"{source}: search state fields 'options', 'nodes' and 'memo' must not be null");
        if (s.NumBlocks is < 1 or > 4096) throw new FormatException($"{source}: search state num_blocks is {s.NumBlocks}; expected 1..4096");
        if (s.Simulations < 0) throw new FormatException($"{source}: search state simulations is {s.Simulations}; expected ≥ 0");
        if (s.Nodes.Count == 0) throw new FormatException($"{source}: search state has no root node");
        if (s.Rng is not { Length: 4 }) throw new FormatException($"{source}: search state rng must have 4 words");
        for (int i = 0; i < s.Nodes.Count; i++)
        {
            var n = s.Nodes[i];
            if (n is null || n.Steps is null) throw new FormatException($"{source}: search state node {i} is null or has no 'steps'");
            if (n.Visits < 0) throw new FormatException($"{source}: search state node {i} has {n.Visits} visits; expected ≥ 0");
            if (n.Parent >= i || (i == 0) != (n.Parent == -1))
                throw new FormatException($"{source}: node {i} has parent {n.Parent}; parents precede children and only node 0 is the root");
            n.Path = ReadPath(() => LayerPath.Create(n.Steps, s.NumBlocks), $"node {i}");
            if (n.Children?.Any(c => c <= i || c >= s.Nodes.Count) == true)
                throw new FormatException($"{source}: node {i} lists a child index outside {i + 1}..{s.Nodes.Count - 1}");
        }
        if (s.PendingStop is { } p && (p.Parent < 0 || p.Parent >= s.Nodes.Count || s.Nodes[p.Parent].Children is null))
            throw new FormatException($"{source}: the pending stop waits on node {p.Parent}, which is not an expanded node");
        foreach (var key in s.Memo.Keys) ReadPath(() => LayerPath.Parse(key, s.NumBlocks), $"memo entry '{key}'");
        try { s.Options.Validate(); }
        catch (ArgumentException e) { throw new FormatException($"{source}: search state options: {e.Message}", e); }
        return s;

        LayerPath ReadPath(Func<LayerPath> read, string what)
        {
            try { return read(); }
            catch (Exception e) when (e is ArgumentException or FormatException) { throw new FormatException($"{source}: search state {what} is not a layer path of {s.NumBlocks} blocks ({e.Message})", e); }
        }
    }
}
