using System.Text.Json;
using System.Text.Json.Nodes;
using DrLlm.Engine.Model;

namespace DrLlm.Routing.Search;

/// <summary>
/// The one reader of <c>drllm search</c> output lines (JSON lines of <see cref="ExampleSearchResult"/>), for every
/// command that takes them back: <c>search --resume</c>, <c>train-routers</c>, <c>router-report</c>. A line is accepted
/// only if it is a result for a model of <c>numBlocks</c> blocks: the fields the search always writes are there, its
/// best path is a valid layer path of that model and its labels are exactly that path's per-block counts. Anything else
/// is a <see cref="FormatException"/> naming the file, the line and the field, so a label file made for another model
/// (or edited by hand) is refused before it is trained on or appended to.
/// </summary>
public static class SearchResultLines
{
    private static readonly JsonSerializerOptions Snake = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The fields every line written by <c>drllm search</c> holds (best_path and labels may be null).</summary>
    private static readonly string[] Required = ["id", "task", "default_correct", "best_path", "labels"];

    /// <summary>Parses and checks one line; <paramref name="where"/> ("FILE:LINE") prefixes every error.</summary>
    public static ExampleSearchResult Parse(string line, string where, int numBlocks)
    {
        JsonObject o;
        ExampleSearchResult? e;
        try
        {
            o = JsonNode.Parse(line) as JsonObject ?? throw new FormatException($"{where}: not a search result line (not a JSON object)");
            foreach (var field in Required)
                if (!o.ContainsKey(field)) throw new FormatException($"{where}: search result line lacks '{field}'");
            e = o.Deserialize<ExampleSearchResult>(Snake);
        }
        catch (JsonException x) { throw new FormatException($"{where}: not a search result line ({x.Message})", x); }
        if (e is null) throw new FormatException($"{where}: empty search result line");
        if (string.IsNullOrEmpty(e.Id)) throw new FormatException($"{where}: 'id' must be a non-empty string");
        if (string.IsNullOrEmpty(e.Task)) throw new FormatException($"{where}: 'task' must be a non-empty string");
        if ((e.BestPath is null) != (e.Labels is null))
            throw new FormatException($"{where}: 'best_path' and 'labels' must both be null (no correct path) or both be set");
        if (e.BestPath is not null)
        {
            LayerPath path;
            try { path = LayerPath.Create(e.BestPath, numBlocks); }
            catch (ArgumentException x) { throw new FormatException($"{where}: 'best_path' [{string.Join(",", e.BestPath)}] is not a path of this {numBlocks}-block model: {x.Message}", x); }
            var expected = path.BlockCounts();
            if (!e.Labels!.SequenceEqual(expected))
                throw new FormatException($"{where}: 'labels' must be {numBlocks} values, the per-block counts of best_path [{string.Join(",", expected)}], got [{string.Join(",", e.Labels!)}]");
        }
        return e;
    }

    /// <summary>The non-blank lines of <paramref name="file"/>, parsed and checked, with their 1-based line numbers.</summary>
    public static IEnumerable<(int Line, ExampleSearchResult Result)> Read(string file, int numBlocks)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"{file}: no such search result file");
        int lineNo = 0;
        foreach (var line in File.ReadLines(file))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return (lineNo, Parse(line, $"{file}:{lineNo}", numBlocks));
        }
    }
}
