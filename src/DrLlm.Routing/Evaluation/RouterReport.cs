using System.Globalization;
using System.Text;
using DrLlm.Routing.Routers;
using DrLlm.Routing.Search;
using DrLlm.Tasks;

namespace DrLlm.Routing.Evaluation;

/// <summary>
/// The issue-6 report in Markdown, shaped like the paper's Table 3: per task family the default path's accuracy →
/// the routed one, Δ in points, average layers default → routed and layers saved, in-domain and out-of-domain tables
/// with their means; then the labels the routers learned from and the routers' own quality on the held-out labels
/// (per-block accuracy and macro-F1, METHOD.md "Routers"), block by block, beside the decisions they made in the
/// evaluations. Every figure comes from the files the pipeline wrote; nothing is computed here but means and shares.
/// </summary>
public static class RouterReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] ClassNames = ["skip", "execute", "repeat"];

    /// <param name="routers">the router checkpoint's metadata (routers.json)</param>
    /// <param name="evals">one <c>drllm eval --routers</c> summary per task family</param>
    /// <param name="labels">per in-domain family, the statistics of its search labels</param>
    public static string Markdown(RouterMetadata routers, IReadOnlyList<RoutedEvalSummary> evals,
        IReadOnlyList<(string Task, LabelStatistics Stats)> labels)
    {
        var md = new StringBuilder();
        md.AppendLine($"## Dr.LLM routers on {routers.BaseModel}");
        md.AppendLine();
        var inDomain = evals.Where(e => IsInDomain(e.Task) == true).ToList();
        var outDomain = evals.Where(e => IsInDomain(e.Task) == false).ToList();
        var other = evals.Where(e => IsInDomain(e.Task) is null).ToList();
        if (inDomain.Count > 0) Table(md, "In domain", inDomain);
        if (outDomain.Count > 0) Table(md, "Out of domain", outDomain);
        if (other.Count > 0) Table(md, "Other tasks", other);
        md.AppendLine("Paper (Table 3, METHOD.md): in domain +2.25 points on average with about 5 layers fewer; out of domain −0.85 points.");
        md.AppendLine();
        if (labels.Count > 0) Labels(md, labels, routers.NumBlocks);
        Quality(md, routers, evals);
        return md.ToString();
    }

    /// <summary>In or out of domain by the task registry's family of that name (the part before ':'); null if unknown.</summary>
    public static bool? IsInDomain(string task)
    {
        string family = task.Split(':')[0];
        return TaskRegistry.Families.FirstOrDefault(f => f.Name == family)?.InDomain;
    }

    private static string Pct(double share) => (100 * share).ToString("F1", Inv);
    private static string Points(double share) => (100 * share).ToString("+0.0;-0.0;0.0", Inv);
    private static string F(double x, string format) => double.IsNaN(x) ? "n/a" : x.ToString(format, Inv);

    private static void Table(StringBuilder md, string title, IReadOnlyList<RoutedEvalSummary> rows)
    {
        md.AppendLine($"### {title} ({string.Join(", ", rows.Select(r => r.Split).Distinct())} split)");
        md.AppendLine();
        md.AppendLine("| family | n | accuracy: default → routed (%) | Δ (points) | avg layers: default → routed | layers saved | router ms / item |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            md.AppendLine($"| {r.Task} | {r.N} | {Pct(r.BaselineAccuracy)} → {Pct(r.Accuracy)} | {Points(r.Accuracy - r.BaselineAccuracy)} | " +
                $"{F(r.BaselineAvgLayers, "F2")} → {F(r.AvgLayers, "F2")} | {F(r.BaselineAvgLayers - r.AvgLayers, "+0.00;-0.00;0.00")} | {F(r.RouterOverheadMsPerItem, "F3")} |");
        if (rows.Count > 1)
        {
            // Unweighted over families, as the paper averages over benchmarks.
            double b = rows.Average(r => r.BaselineAccuracy), a = rows.Average(r => r.Accuracy);
            double bl = rows.Average(r => r.BaselineAvgLayers), al = rows.Average(r => r.AvgLayers);
            md.AppendLine($"| **mean** | | {Pct(b)} → {Pct(a)} | {Points(a - b)} | {F(bl, "F2")} → {F(al, "F2")} | {F(bl - al, "+0.00;-0.00;0.00")} | " +
                $"{F(rows.Average(r => r.RouterOverheadMsPerItem), "F3")} |");
        }
        md.AppendLine();
    }

    private static void Labels(StringBuilder md, IReadOnlyList<(string Task, LabelStatistics Stats)> labels, int numBlocks)
    {
        md.AppendLine("### Search labels (train split)");
        md.AppendLine();
        md.AppendLine("| family | searched | kept | default accuracy (%) | block labels skip / execute / repeat | avg layers saved | wrong → right fixes (%) |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (task, s) in labels)
            md.AppendLine($"| {task} | {s.Examples} | {s.Kept} | {Pct(s.DefaultAccuracy)} | {s.Skip} / {s.Execute} / {s.Repeat} | " +
                $"{F(s.AverageLayersSaved, "F2")} | {(s.Kept == 0 ? "n/a" : Pct(s.FixShare))} |");
        md.AppendLine();
        md.AppendLine($"Paper: 4,000 kept examples, labels skip 4,399 / execute 120,956 / repeat 1,457 over 28 blocks, 1.82 layers saved, about 30% fixes ({numBlocks} blocks here).");
        md.AppendLine();
    }

    private static void Quality(StringBuilder md, RouterMetadata routers, IReadOnlyList<RoutedEvalSummary> evals)
    {
        md.AppendLine("### Router quality (held-out labels)");
        md.AppendLine();
        var last = routers.Metrics is { Count: > 0 } m ? m[^1] : null;
        if (last is null)
        {
            md.AppendLine("The checkpoint stores no training metrics.");
            md.AppendLine();
            return;
        }
        var counts = routers.TrainClassCounts;
        md.AppendLine($"After epoch {last.Epoch}: per-block accuracy {F(100 * last.ValidationAccuracy, "F1")}%, macro-F1 {F(last.ValidationMacroF1, "F3")} " +
            $"(paper: 96.8%, 0.61); recall {string.Join(" / ", ClassNames.Select((c, i) => $"{c} {(double.IsNaN(last.ValidationClassAccuracy[i]) ? "n/a" : $"{F(100 * last.ValidationClassAccuracy[i], "F0")}%")}"))}; " +
            $"validation loss {F(last.ValidationLoss, "F4")}, training loss {F(last.TrainLoss, "F4")}." +
            (counts is null ? "" : $" Training labels skip / execute / repeat: {counts[0]} / {counts[1]} / {counts[2]}; class weights {string.Join(" / ", routers.ClassWeights.Select(w => w.ToString("F3", Inv)))}."));
        md.AppendLine();
        if (last.ValidationConfusionByBlock is not { } byBlock || byBlock.Length != routers.NumBlocks) return;

        // The evaluations' decisions per block, weighted by their item counts.
        int total = evals.Sum(e => e.NumBlocks == routers.NumBlocks ? e.N : 0);
        md.AppendLine("| block | held-out labels skip / execute / repeat | accuracy (%) | macro-F1 | decisions in the evaluations: skip / execute / repeat (%) |");
        md.AppendLine("|---:|---:|---:|---:|---:|");
        for (int l = 0; l < routers.NumBlocks; l++)
        {
            var bm = RouterMetrics.FromConfusion(byBlock[l]);
            var support = Enumerable.Range(0, 3).Select(c => Enumerable.Range(0, 3).Sum(p => bm.Confusion[c * 3 + p])).ToArray();
            string decisions = total == 0 ? "n/a" : string.Join(" / ", Enumerable.Range(0, 3).Select(a =>
                Pct(evals.Where(e => e.NumBlocks == routers.NumBlocks).Sum(e => e.N * e.ActionFrequencies[l][a]) / total)));
            md.AppendLine($"| {l} | {support[0]} / {support[1]} / {support[2]} | {(bm.Total == 0 ? "n/a" : Pct(bm.Accuracy))} | " +
                $"{(bm.Total == 0 ? "n/a" : F(bm.MacroF1(), "F3"))} | {decisions} |");
        }
        md.AppendLine();
    }
}
