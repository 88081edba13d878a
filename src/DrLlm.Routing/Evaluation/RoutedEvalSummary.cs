using System.Text.Json;

namespace DrLlm.Routing.Evaluation;

/// <summary>One point of the accuracy-layers curve: the routed run with decision threshold τ = <paramref name="Threshold"/>.</summary>
public sealed record ThresholdPoint(double Threshold, double Accuracy, double AvgLayers, double LayersSaved);

/// <summary>
/// What <c>drllm eval --routers</c> prints (snake_case JSON, one object): the routed run against the default path on
/// the same items. <see cref="ActionFrequencies"/>[l] = the shares of items whose router l said skip, execute, repeat;
/// <see cref="RouterOverheadS"/> = seconds spent in router forward passes (pooling + MLP) over all items. For span items
/// (SQuAD) the accuracies are exact-match rates and <see cref="F1"/> / <see cref="BaselineF1"/> the mean token F1 of the
/// routed and default-path runs; both null for letter and math tasks. <see cref="DecisionThreshold"/> = the routers' τ
/// in that run; <see cref="ThresholdCurve"/> = one routed run per τ asked for (--thresholds), null otherwise.
/// </summary>
public sealed record RoutedEvalSummary(
    string Task,
    string Split,
    int N,
    int Seed,
    double Accuracy,
    double BaselineAccuracy,
    double Delta,
    double AvgLayers,
    double BaselineAvgLayers,
    double LayersSaved,
    int NumBlocks,
    double[][] ActionFrequencies,
    double RouterOverheadS,
    double RouterOverheadMsPerItem,
    double RoutedWallS,
    double BaselineWallS,
    double? F1 = null,
    double? BaselineF1 = null,
    double DecisionThreshold = 0,
    IReadOnlyList<ThresholdPoint>? ThresholdCurve = null)
{
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Reads one summary from <paramref name="file"/>; errors name the file.</summary>
    public static RoutedEvalSummary Read(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"{file}: no such eval output");
        RoutedEvalSummary? s;
        try { s = JsonSerializer.Deserialize<RoutedEvalSummary>(File.ReadAllText(file), Json); }
        catch (JsonException e) { throw new FormatException($"{file}: not the JSON of drllm eval --routers ({e.Message})", e); }
        if (s is null || s.Task is null || s.ActionFrequencies is null || s.N < 1 || s.NumBlocks < 1)
            throw new FormatException($"{file}: not the output of drllm eval --routers (task, n, num_blocks, action_frequencies are required)");
        if (s.ActionFrequencies.Length != s.NumBlocks || s.ActionFrequencies.Any(a => a is null || a.Length != 3))
            throw new FormatException($"{file}: action_frequencies must hold [skip, execute, repeat] for each of {s.NumBlocks} blocks");
        return s;
    }
}
