using DrLlm.Engine.Model;
using DrLlm.Tasks;

namespace DrLlm.Routing.Evaluation;

/// <summary>
/// How much room a base model leaves to route (issue 14): of the items the default path answers right, the share still
/// right when one block is skipped (per block) and when two adjacent blocks are skipped (per pair). Overall figures are
/// over all (item, block) or (item, pair) cases, so the mean of the per-block shares. Null where no item was right.
/// </summary>
public sealed record SkipToleranceReport(EvalReport Default, int Right, double?[] SingleKept, double?[] PairKept)
{
    public double? SingleOverall => Right == 0 ? null : SingleKept.Average(k => k!.Value);
    public double? PairOverall => Right == 0 || PairKept.Length == 0 ? null : PairKept.Average(k => k!.Value);

    /// <summary>
    /// Runs <paramref name="items"/> on the default path, then the ones it answers right once per single-block skip and
    /// once per adjacent-pair skip, each as <see cref="TaskEvaluator.Evaluate"/> evaluates a path. The model needs ≥ 2
    /// blocks (skipping the only block leaves no path).
    /// </summary>
    public static SkipToleranceReport Measure(TaskEvaluator evaluator, string task, string split, IReadOnlyList<TaskItem> items)
    {
        int layers = evaluator.Model.Config.NumLayers;
        if (layers < 2) throw new ArgumentException($"skip tolerance needs a model of ≥ 2 blocks; this one has {layers}");
        var full = LayerPath.Default(layers);
        var baseline = evaluator.Evaluate(task, split, items, _ => full);
        var right = items.Where((_, i) => baseline.Items[i].Correct).ToList();
        double? Kept(LayerPath path) => right.Count == 0 ? null : evaluator.Evaluate(task, split, right, _ => path).Accuracy;
        var single = Enumerable.Range(0, layers).Select(l => Kept(full.WithoutSteps(l, 1)!)).ToArray();
        var pairs = Enumerable.Range(0, layers > 2 ? layers - 1 : 0).Select(l => Kept(full.WithoutSteps(l, 2)!)).ToArray();
        return new SkipToleranceReport(baseline, right.Count, single, pairs);
    }
}
