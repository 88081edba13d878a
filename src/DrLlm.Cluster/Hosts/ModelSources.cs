namespace DrLlm.Cluster.Hosts;

/// <summary>
/// Parses <c>--models name=PATH[,name=PATH…]</c>. A stand-in's own options are comma-separated too
/// (<c>m=standin:latency=20ms,blocks=8</c>): a segment <c>key=value</c> whose key is a stand-in option continues the
/// stand-in before it.
/// </summary>
public static class ModelSources
{
    private static readonly string[] StandinKeys = ["latency", "blocks", "seed", "p", "q", "fail", "trace"];

    public static IReadOnlyList<(string Name, string Source)> Parse(IEnumerable<string> values)
    {
        var list = new List<(string Name, string Source)>();
        foreach (var value in values)
            foreach (var raw in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = raw.IndexOf('=');
                if (eq > 0 && list.Count > 0 && list[^1].Source.StartsWith(StandinModelHost.Prefix, StringComparison.Ordinal)
                    && StandinKeys.Contains(raw[..eq]))
                {
                    list[^1] = (list[^1].Name, list[^1].Source + "," + raw);
                    continue;
                }
                if (eq < 1 || eq == raw.Length - 1)
                    throw new ArgumentException($"--models: '{raw}' is not NAME=PATH (or NAME=standin:latency=20ms,blocks=8)");
                var name = raw[..eq];
                if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                    throw new ArgumentException($"--models: model name '{name}' may use letters, digits, '-', '_' and '.' only");
                if (StandinKeys.Contains(name))
                    throw new ArgumentException($"--models: '{name}' is a stand-in option name; choose another model name");
                if (list.Any(m => m.Name == name)) throw new ArgumentException($"--models: model '{name}' is given twice");
                list.Add((name, raw[(eq + 1)..]));
            }
        if (list.Count == 0) throw new ArgumentException("--models: at least one NAME=PATH is required");
        return list;
    }

    /// <summary>Loads one model: a stand-in spec, or a checkpoint path on the engine.</summary>
    public static IModelHost Load(string name, string source, int threads) =>
        source.StartsWith(StandinModelHost.Prefix, StringComparison.Ordinal)
            ? new StandinModelHost(name, source)
            : new EngineModelHost(name, source, threads);
}
