using System.Globalization;
using System.Text;
using DrLlm.Cluster.Data;

namespace DrLlm.Dashboard;

/// <summary>
/// A sweep's results as the paper's Table 3 (per experiment and benchmark: accuracy default → routed, Δ, layers used,
/// in and out of domain; the routers' per-block accuracy and macro-F1), read from the views, as Markdown, with the
/// dashboard's SVG charts written beside it. <c>drllm sweep report</c> prints it; the demo writes it under artifacts/.
/// </summary>
public static class SweepReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The result table: one row per evaluation of the sweep (what <c>v_evaluations</c> holds), plus router metrics.</summary>
    public static async Task<string> TableAsync(ClusterViews views, long sweepId)
    {
        var evals = await views.EvaluationsAsync(sweepId);
        var routers = (await views.RouterMetricsAsync(sweepId)).ToDictionary(r => r.ExperimentId);
        var sb = new StringBuilder();
        sb.AppendLine("| experiment | model | trained on | benchmark | domain | n | accuracy default → routed | Δ (pp) | layers default → routed | saved | router block acc | router macro-F1 |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var v in evals.OrderBy(v => v.ExperimentId).ThenBy(v => v.Domain == "in-domain" ? 0 : 1).ThenBy(v => v.Task, StringComparer.Ordinal))
        {
            var r = routers.GetValueOrDefault(v.ExperimentId);
            var trained = r?.Task ?? "";
            sb.AppendLine(string.Create(Inv,
                $"| {v.ExperimentId} | {v.Model} | {trained} | {v.Task} | {v.Domain} | {v.Evaluated}/{v.N} | {P(v.BaselineAccuracy)} → {P(v.RoutedAccuracy)} | " +
                $"{D(v.Delta)} | {F(v.BaselineAvgLayers)} → {F(v.RoutedAvgLayers)} | {F(v.LayersSaved)} | {P(r?.BlockAccuracy)} | {F(r?.MacroF1, "0.000")} |"));
        }
        return sb.ToString();
    }

    /// <summary>Writes DIR/report.md and its SVG charts; returns the Markdown.</summary>
    public static async Task<string> WriteAsync(string connectionString, long sweepId, string dir)
    {
        var data = new DashboardData(connectionString);
        var sweep = await data.SweepAsync(sweepId) ?? throw new ArgumentException($"no sweep {sweepId}");
        Directory.CreateDirectory(dir);
        var labels = await data.LabelStatisticsAsync(sweepId);
        var points = AccuracyPoint.InDomain(await data.EvaluationsAsync(sweepId));
        var charts = new List<(string File, string Title, string Svg)>
        {
            ("accuracy-vs-layers.svg", "Accuracy vs average layers used (in-domain held-out split)", Charts.AccuracyVsLayers(points).Value),
            ("router-loss.svg", "Router training loss per epoch", Charts.LossCurves(await data.LossCurvesAsync(sweepId)).Value),
        };
        int i = 0;
        foreach (var f in await data.ActionFrequenciesAsync(sweepId))
            charts.Add(($"actions-{++i}.svg", $"Per-block actions: {f.Label}", Charts.ActionFrequencies(f).Value));
        foreach (var (file, _, svg) in charts)
            await File.WriteAllTextAsync(Path.Combine(dir, file), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg + "\n");

        var sb = new StringBuilder();
        sb.AppendLine($"# Sweep {sweep.Id}: {sweep.Name}");
        sb.AppendLine();
        sb.AppendLine(string.Create(Inv, $"Status **{sweep.Status}**; {sweep.Experiments} experiment(s), {sweep.ExperimentsFailed} failed; " +
            $"{sweep.TreesFinished}/{sweep.Trees} search trees, {sweep.TrainingsFinished}/{sweep.Trainings} router sets, " +
            $"{sweep.EvaluationsFinished}/{sweep.Evaluations} evaluations. Read from the views `v_evaluations` and `v_router_metrics`."));
        sb.AppendLine();
        sb.AppendLine("## Results (the paper's Table 3 shape)");
        sb.AppendLine();
        sb.Append(await TableAsync(data, sweepId));
        sb.AppendLine();
        sb.AppendLine("## Search labels");
        sb.AppendLine();
        sb.AppendLine("| experiment | task | examples | kept | skip / execute / repeat labels | avg layers saved | default accuracy |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var l in labels)
            sb.AppendLine(string.Create(Inv, $"| {l.ExperimentId} | {l.Task} | {l.Examples} | {l.Kept} | {l.SkipLabels} / {l.ExecuteLabels} / {l.RepeatLabels} | {F(l.AvgLayersSaved)} | {P(l.DefaultAccuracy)} |"));
        sb.AppendLine();
        foreach (var (file, title, _) in charts)
        {
            sb.AppendLine($"## {title}");
            sb.AppendLine();
            sb.AppendLine($"![{title}]({file})");
            sb.AppendLine();
        }
        var md = sb.ToString();
        await File.WriteAllTextAsync(Path.Combine(dir, "report.md"), md);
        return md;
    }

    private static string P(double? x) => x is { } v && double.IsFinite(v) ? (100 * v).ToString("0.0", Inv) : "–";
    private static string D(double? x) => x is { } v && double.IsFinite(v) ? (100 * v).ToString("+0.0;-0.0;0.0", Inv) : "–";
    private static string F(double? x, string fmt = "0.00") => x is { } v && double.IsFinite(v) ? v.ToString(fmt, Inv) : "–";
}
