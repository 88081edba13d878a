using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Components;

namespace DrLlm.Dashboard;

/// <summary>A baseline → routed pair of one experiment for the accuracy vs layers chart.</summary>
public sealed record AccuracyPoint(string Label, double BaselineLayers, double BaselineAccuracy, double RoutedLayers, double RoutedAccuracy)
{
    /// <summary>The points of a sweep's finished in-domain evaluations (the held-out split of each experiment's task).</summary>
    public static List<AccuracyPoint> InDomain(IEnumerable<DrLlm.Cluster.Data.EvaluationView> evaluations) =>
    [.. evaluations
        .Where(v => v.Domain == "in-domain" && v.Status == "done" && v.BaselineAccuracy is not null && v.RoutedAccuracy is not null
                    && v.BaselineAvgLayers is not null && v.RoutedAvgLayers is not null)
        .Select(v => new AccuracyPoint($"#{v.ExperimentId} {v.Model} {v.Task} seed {v.Seed}", v.BaselineAvgLayers!.Value, v.BaselineAccuracy!.Value,
            v.RoutedAvgLayers!.Value, v.RoutedAccuracy!.Value))];
}

/// <summary>One row of the search progress chart: trees by state against the simulation budget.</summary>
public sealed record ProgressRow(string Label, long Done, long Running, long Failed, long Pending, long SimulationsDone, long SimulationBudget);

/// <summary>
/// SVG charts rendered on the server in C#. Every piece of text that comes from the database goes through
/// <see cref="Esc"/>; numbers are written with the invariant culture. The markup is returned as a
/// <see cref="MarkupString"/> for the Razor pages to embed.
/// </summary>
public static class Charts
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] SeriesColours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
    public static readonly string[] ActionColours = ["#d9d9d9", "#4c78a8", "#f58518"];
    public static readonly string[] ActionNames = ["skip", "execute", "repeat"];

    public static string Esc(string? s) => WebUtility.HtmlEncode(s ?? "");
    private static string N(double x) => double.IsFinite(x) ? x.ToString("0.###", Inv) : "0";

    private static StringBuilder Open(string cssClass, int w, int h, string title) =>
        new StringBuilder().Append(Inv, $"<svg class=\"chart {cssClass}\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{Esc(title)}\"><title>{Esc(title)}</title>");

    private static void Text(StringBuilder sb, double x, double y, string text, string anchor = "start", string extra = "") =>
        sb.Append($"<text x=\"{N(x)}\" y=\"{N(y)}\" text-anchor=\"{anchor}\" font-size=\"11\"{extra}>{Esc(text)}</text>");

    /// <summary>Nice axis bounds and ticks over [lo, hi].</summary>
    private static (double Lo, double Hi, double[] Ticks) Axis(double lo, double hi, int want = 5)
    {
        if (!(hi > lo)) { hi = lo + 1; lo -= 1; }
        double raw = (hi - lo) / want, mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * mag).First(s => s >= raw);
        double a = Math.Floor(lo / step) * step, b = Math.Ceiling(hi / step) * step;
        var ticks = new List<double>();
        for (double t = a; t <= b + step / 2; t += step) ticks.Add(Math.Round(t, 10));
        return (a, b, [.. ticks]);
    }

    private static void Frame(StringBuilder sb, int x0, int y0, int x1, int y1, (double Lo, double Hi, double[] Ticks) xa,
        (double Lo, double Hi, double[] Ticks) ya, string xLabel, string yLabel, Func<double, string>? fy = null)
    {
        double X(double v) => x0 + (v - xa.Lo) / (xa.Hi - xa.Lo) * (x1 - x0);
        double Y(double v) => y1 - (v - ya.Lo) / (ya.Hi - ya.Lo) * (y1 - y0);
        sb.Append(Inv, $"<rect x=\"{x0}\" y=\"{y0}\" width=\"{x1 - x0}\" height=\"{y1 - y0}\" fill=\"none\" stroke=\"#999\"/>");
        foreach (var t in xa.Ticks)
        {
            sb.Append($"<line x1=\"{N(X(t))}\" x2=\"{N(X(t))}\" y1=\"{y0}\" y2=\"{y1}\" stroke=\"#eee\"/>");
            Text(sb, X(t), y1 + 14, N(t), "middle");
        }
        foreach (var t in ya.Ticks)
        {
            sb.Append($"<line x1=\"{x0}\" x2=\"{x1}\" y1=\"{N(Y(t))}\" y2=\"{N(Y(t))}\" stroke=\"#eee\"/>");
            Text(sb, x0 - 4, Y(t) + 4, fy is null ? N(t) : fy(t), "end");
        }
        Text(sb, (x0 + x1) / 2.0, y1 + 30, xLabel, "middle");
        Text(sb, 12, (y0 + y1) / 2.0, yLabel, "middle", $" transform=\"rotate(-90 12 {N((y0 + y1) / 2.0)})\"");
    }

    /// <summary>Accuracy against average layers run per example: a grey baseline point and a blue routed point per
    /// experiment, joined by an arrow.</summary>
    public static MarkupString AccuracyVsLayers(IReadOnlyList<AccuracyPoint> points)
    {
        const int w = 560, h = 320, x0 = 60, y0 = 20, x1 = w - 20, y1 = h - 45;
        var sb = Open("acc-layers", w, h, "accuracy vs average layers used");
        if (points.Count == 0) { Text(sb, w / 2.0, h / 2.0, "no finished evaluation yet", "middle"); return new(sb.Append("</svg>").ToString()); }
        var xs = points.SelectMany(p => new[] { p.BaselineLayers, p.RoutedLayers }).ToList();
        var xa = Axis(Math.Floor(xs.Min() - 0.5), Math.Ceiling(xs.Max() + 0.5));
        var ya = Axis(0, 1);
        Frame(sb, x0, y0, x1, y1, xa, ya, "average layers run per example", "accuracy", t => t.ToString("0%", Inv));
        double X(double v) => x0 + (v - xa.Lo) / (xa.Hi - xa.Lo) * (x1 - x0);
        double Y(double v) => y1 - (v - ya.Lo) / (ya.Hi - ya.Lo) * (y1 - y0);
        foreach (var p in points)
        {
            sb.Append($"<line x1=\"{N(X(p.BaselineLayers))}\" y1=\"{N(Y(p.BaselineAccuracy))}\" x2=\"{N(X(p.RoutedLayers))}\" y2=\"{N(Y(p.RoutedAccuracy))}\" stroke=\"#bbb\"/>");
            sb.Append($"<circle class=\"baseline\" cx=\"{N(X(p.BaselineLayers))}\" cy=\"{N(Y(p.BaselineAccuracy))}\" r=\"5\" fill=\"#888\"><title>{Esc(p.Label)} baseline: accuracy {N(p.BaselineAccuracy)}, {N(p.BaselineLayers)} layers</title></circle>");
            sb.Append($"<circle class=\"routed\" cx=\"{N(X(p.RoutedLayers))}\" cy=\"{N(Y(p.RoutedAccuracy))}\" r=\"5\" fill=\"#1f77b4\"><title>{Esc(p.Label)} routed: accuracy {N(p.RoutedAccuracy)}, {N(p.RoutedLayers)} layers</title></circle>");
            if (points.Count <= 20) Text(sb, X(p.RoutedLayers) + 7, Y(p.RoutedAccuracy) - 6, p.Label.Split(' ')[0], "start", " class=\"point-label\" fill=\"#1f77b4\"");
        }
        sb.Append($"<circle cx=\"{x0 + 12}\" cy=\"{y0 + 10}\" r=\"5\" fill=\"#888\"/>");
        Text(sb, x0 + 20, y0 + 14, "baseline (default path)");
        sb.Append($"<circle cx=\"{x0 + 160}\" cy=\"{y0 + 10}\" r=\"5\" fill=\"#1f77b4\"/>");
        Text(sb, x0 + 168, y0 + 14, "routed");
        return new(sb.Append("</svg>").ToString());
    }

    /// <summary>Accuracy against one setting's value (or the seed): baseline and routed point per experiment.</summary>
    public static MarkupString AccuracyVsSetting(string setting, IReadOnlyList<(string Label, double X, double? Baseline, double? Routed)> points)
    {
        const int w = 560, h = 320, x0 = 60, y0 = 20, x1 = w - 20, y1 = h - 45;
        var sb = Open("acc-setting", w, h, $"accuracy vs {setting}");
        var done = points.Where(p => p.Baseline is not null || p.Routed is not null).ToList();
        if (done.Count == 0) { Text(sb, w / 2.0, h / 2.0, "no finished evaluation yet", "middle"); return new(sb.Append("</svg>").ToString()); }
        var xa = Axis(done.Min(p => p.X), done.Max(p => p.X));
        var ya = Axis(0, 1);
        Frame(sb, x0, y0, x1, y1, xa, ya, setting, "accuracy", t => t.ToString("0%", Inv));
        double X(double v) => x0 + (v - xa.Lo) / (xa.Hi - xa.Lo) * (x1 - x0);
        double Y(double v) => y1 - (v - ya.Lo) / (ya.Hi - ya.Lo) * (y1 - y0);
        foreach (var p in done)
        {
            if (p.Baseline is { } b)
                sb.Append($"<circle class=\"baseline\" cx=\"{N(X(p.X) - 3)}\" cy=\"{N(Y(b))}\" r=\"5\" fill=\"#888\"><title>{Esc(p.Label)} baseline: accuracy {N(b)} at {Esc(setting)} = {N(p.X)}</title></circle>");
            if (p.Routed is { } r)
                sb.Append($"<circle class=\"routed\" cx=\"{N(X(p.X) + 3)}\" cy=\"{N(Y(r))}\" r=\"5\" fill=\"#1f77b4\"><title>{Esc(p.Label)} routed: accuracy {N(r)} at {Esc(setting)} = {N(p.X)}</title></circle>");
        }
        sb.Append($"<circle cx=\"{x0 + 12}\" cy=\"{y0 + 10}\" r=\"5\" fill=\"#888\"/>");
        Text(sb, x0 + 20, y0 + 14, "baseline");
        sb.Append($"<circle cx=\"{x0 + 100}\" cy=\"{y0 + 10}\" r=\"5\" fill=\"#1f77b4\"/>");
        Text(sb, x0 + 108, y0 + 14, "routed");
        return new(sb.Append("</svg>").ToString());
    }

    /// <summary>
    /// Per block, the share of skip / execute / repeat labels as a heat map (rows: actions, columns: blocks; darker is
    /// more), each cell titled with its count.
    /// </summary>
    public static MarkupString LabelHeatMap(ActionFrequencies f)
    {
        var sb = new StringBuilder().Append($"<table class=\"heat label-heat\" aria-label=\"{Esc(f.Label)}\"><caption>{Esc(f.Label)} ({f.Paths} paths)</caption><tr><th></th>");
        for (int b = 0; b < f.Blocks; b++) sb.Append(Inv, $"<th>{b}</th>");
        sb.Append("</tr>");
        for (int a = 0; a < 3; a++)
        {
            sb.Append($"<tr><th>{ActionNames[a]}</th>");
            for (int b = 0; b < f.Blocks; b++)
            {
                int n = f.Counts[b][a];
                double share = f.Paths == 0 ? 0 : (double)n / f.Paths;
                string bg = $"rgba({(a == 2 ? "245,133,24" : a == 1 ? "76,120,168" : "120,120,120")},{N(0.08 + 0.92 * share)})";
                sb.Append($"<td class=\"cell\" data-block=\"{b}\" data-action=\"{ActionNames[a]}\" style=\"background:{bg};color:{(share > 0.55 ? "#fff" : "#222")}\" title=\"block {b}: {ActionNames[a]} in {n} of {f.Paths}\">{(share * 100).ToString("0", Inv)}</td>");
            }
            sb.Append("</tr>");
        }
        return new(sb.Append("</table>").ToString());
    }

    /// <summary>A node of the drawn search tree, in depth-first order (<see cref="SearchTreeGraph"/>).</summary>
    public sealed record TreeNode(int Depth, string Move, string Path, int Visits, double? MeanReward, bool? Correct);

    /// <summary>
    /// The MCTS tree as a picture: nodes in depth-first order (as the path viewer lists them), each below its parent,
    /// leaves side by side and parents centred over their children; the circle's size grows with the visits, its colour
    /// says whether the node's path answered correctly (green), wrongly (red) or was not evaluated (grey); each edge is
    /// labelled with its move.
    /// </summary>
    public static MarkupString SearchTreeGraph(IReadOnlyList<TreeNode> nodes)
    {
        if (nodes.Count == 0) return new("");
        // parents from depth-first order: the last node one level up
        var parent = new int[nodes.Count];
        var children = Enumerable.Range(0, nodes.Count).Select(_ => new List<int>()).ToArray();
        var stack = new List<int>();
        for (int i = 0; i < nodes.Count; i++)
        {
            while (stack.Count > nodes[i].Depth) stack.RemoveAt(stack.Count - 1);
            parent[i] = stack.Count == 0 ? -1 : stack[^1];
            if (parent[i] >= 0) children[parent[i]].Add(i);
            stack.Add(i);
        }
        var x = new double[nodes.Count];
        double next = 0;
        void Place(int i)
        {
            if (children[i].Count == 0) { x[i] = next++; return; }
            foreach (var c in children[i]) Place(c);
            x[i] = children[i].Average(c => x[c]);
        }
        for (int i = 0; i < nodes.Count; i++) if (parent[i] < 0) Place(i);
        const double dx = 44, dy = 64, pad = 30;
        int depth = nodes.Max(n => n.Depth);
        double w = pad * 2 + Math.Max(1, next - 1) * dx, h = pad * 2 + depth * dy + 16;
        var sb = Open("search-tree-graph", (int)Math.Ceiling(Math.Max(w, 200)), (int)Math.Ceiling(h + 10), "the search tree");
        double X(int i) => pad + x[i] * dx;
        double Y(int i) => pad + nodes[i].Depth * dy;
        int maxVisits = Math.Max(1, nodes.Max(n => n.Visits));
        for (int i = 0; i < nodes.Count; i++)
            if (parent[i] >= 0)
            {
                sb.Append($"<line x1=\"{N(X(parent[i]))}\" y1=\"{N(Y(parent[i]))}\" x2=\"{N(X(i))}\" y2=\"{N(Y(i))}\" stroke=\"#bbb\"/>");
                // the move under the node it leads to (a fan of edges leaves no room at their middles)
                Text(sb, X(i), Y(i) + 22, nodes[i].Move, "middle", " font-size=\"9\" fill=\"#555\"");
            }
        for (int i = 0; i < nodes.Count; i++)
        {
            var n = nodes[i];
            double r = 4 + 8 * Math.Sqrt((double)n.Visits / maxVisits);
            string fill = n.Correct switch { true => "#2ca02c", false => "#d62728", null => "#aaa" };
            string reward = n.MeanReward is { } m ? N(m) : "–";
            sb.Append($"<circle class=\"tree-node\" cx=\"{N(X(i))}\" cy=\"{N(Y(i))}\" r=\"{N(r)}\" fill=\"{fill}\" stroke=\"#fff\"><title>{Esc(n.Move)}: path {Esc(n.Path)}, {n.Visits} visit(s), mean reward {reward}, {(n.Correct is null ? "not evaluated" : n.Correct.Value ? "correct" : "wrong")}</title></circle>");
        }
        return new(sb.Append("</svg>").ToString());
    }

    /// <summary>One bar per experiment: finished, running, failed and pending trees, with simulations against the budget.</summary>
    public static MarkupString SearchProgress(IReadOnlyList<ProgressRow> rows)
    {
        const int w = 640, barX = 190, barW = 300, rowH = 22;
        int h = Math.Max(1, rows.Count) * rowH + 28;
        var sb = Open("search-progress", w, h, "search progress per experiment");
        if (rows.Count == 0) Text(sb, w / 2.0, 18, "no search trees yet", "middle");
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            double y = 6 + i * rowH, total = Math.Max(1, r.Done + r.Running + r.Failed + r.Pending), x = barX;
            Text(sb, barX - 6, y + 13, r.Label, "end");
            sb.Append($"<rect x=\"{barX}\" y=\"{N(y)}\" width=\"{barW}\" height=\"16\" fill=\"#f3f3f3\" stroke=\"#ccc\"/>");
            foreach (var (n, colour, name) in new[] { (r.Done, "#2ca02c", "done"), (r.Running, "#1f77b4", "running"), (r.Failed, "#d62728", "failed"), (r.Pending, "#f3f3f3", "pending") })
            {
                if (n == 0) continue;
                double bw = n / total * barW;
                sb.Append($"<rect class=\"seg-{name}\" x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(bw)}\" height=\"16\" fill=\"{colour}\"><title>{n} {name}</title></rect>");
                x += bw;
            }
            long trees = r.Done + r.Running + r.Failed + r.Pending;
            Text(sb, barX + barW + 6, y + 13, string.Create(Inv,
                $"{r.Done}/{trees} trees, {r.SimulationsDone}/{r.SimulationBudget} sims{(r.Failed > 0 ? $", {r.Failed} failed" : "")}"));
        }
        Text(sb, barX, h - 6, "■ done  ■ running  ■ failed  □ pending", "start", " fill=\"#555\"");
        return new(sb.Append("</svg>").ToString());
    }

    /// <summary>Router training loss per epoch: training loss solid, validation loss dashed, one colour per run.</summary>
    public static MarkupString LossCurves(IReadOnlyList<LossCurve> curves)
    {
        const int w = 560, h = 300, x0 = 60, y0 = 20, x1 = w - 160, y1 = h - 45;
        var sb = Open("loss-curves", w, h, "router training loss per epoch");
        var withData = curves.Where(c => c.Epochs.Count > 0).ToList();
        if (withData.Count == 0) { Text(sb, w / 2.0, h / 2.0, "no training epochs yet", "middle"); return new(sb.Append("</svg>").ToString()); }
        var ys = withData.SelectMany(c => c.Epochs.SelectMany(e => e.ValidationLoss is { } v ? new[] { e.TrainLoss, v } : [e.TrainLoss])).ToList();
        var xa = Axis(0, Math.Max(1, withData.Max(c => c.Epochs.Max(e => e.Epoch))));
        var ya = Axis(Math.Min(0, ys.Min()), ys.Max());
        Frame(sb, x0, y0, x1, y1, xa, ya, "epoch", "loss");
        double X(double v) => x0 + (v - xa.Lo) / (xa.Hi - xa.Lo) * (x1 - x0);
        double Y(double v) => y1 - (v - ya.Lo) / (ya.Hi - ya.Lo) * (y1 - y0);
        for (int i = 0; i < withData.Count; i++)
        {
            var c = withData[i];
            var colour = SeriesColours[i % SeriesColours.Length];
            sb.Append($"<polyline class=\"train-loss\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(' ', c.Epochs.Select(e => $"{N(X(e.Epoch))},{N(Y(e.TrainLoss))}"))}\"><title>{Esc(c.Label)} training loss</title></polyline>");
            var val = c.Epochs.Where(e => e.ValidationLoss is not null).ToList();
            if (val.Count > 0)
                sb.Append($"<polyline class=\"validation-loss\" fill=\"none\" stroke=\"{colour}\" stroke-dasharray=\"4 3\" points=\"{string.Join(' ', val.Select(e => $"{N(X(e.Epoch))},{N(Y(e.ValidationLoss!.Value))}"))}\"><title>{Esc(c.Label)} validation loss</title></polyline>");
            foreach (var e in c.Epochs)
                sb.Append($"<circle cx=\"{N(X(e.Epoch))}\" cy=\"{N(Y(e.TrainLoss))}\" r=\"2.5\" fill=\"{colour}\"><title>{Esc(c.Label)} epoch {e.Epoch}: training loss {N(e.TrainLoss)}</title></circle>");
            if (i < 12)
            {
                sb.Append($"<line x1=\"{x1 + 10}\" x2=\"{x1 + 28}\" y1=\"{y0 + 8 + i * 16}\" y2=\"{y0 + 8 + i * 16}\" stroke=\"{colour}\" stroke-width=\"2\"/>");
                Text(sb, x1 + 32, y0 + 12 + i * 16, c.Label);
            }
        }
        Text(sb, x1 + 10, y1 - 14, "solid: training", "start", " fill=\"#555\"");
        Text(sb, x1 + 10, y1, "dashed: validation", "start", " fill=\"#555\"");
        return new(sb.Append("</svg>").ToString());
    }

    /// <summary>One validation figure per epoch (e.g. macro-F1), one line per run.</summary>
    public static MarkupString MetricCurves(IReadOnlyList<LossCurve> curves, string metric, Func<DrLlm.Cluster.Data.TrainingEpochRow, double> value, string cssClass)
    {
        const int w = 560, h = 300, x0 = 60, y0 = 20, x1 = w - 160, y1 = h - 45;
        var sb = Open(cssClass, w, h, $"router {metric} per epoch");
        var withData = curves.Where(c => c.Epochs.Count > 0).ToList();
        if (withData.Count == 0) { Text(sb, w / 2.0, h / 2.0, "no training epochs yet", "middle"); return new(sb.Append("</svg>").ToString()); }
        var ys = withData.SelectMany(c => c.Epochs.Select(value)).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        var xa = Axis(0, Math.Max(1, withData.Max(c => c.Epochs.Max(e => e.Epoch))));
        var ya = Axis(Math.Min(0, ys.Min()), Math.Max(1e-9, ys.Max()));
        Frame(sb, x0, y0, x1, y1, xa, ya, "epoch", metric);
        double X(double v) => x0 + (v - xa.Lo) / (xa.Hi - xa.Lo) * (x1 - x0);
        double Y(double v) => y1 - (v - ya.Lo) / (ya.Hi - ya.Lo) * (y1 - y0);
        for (int i = 0; i < withData.Count; i++)
        {
            var c = withData[i];
            var colour = SeriesColours[i % SeriesColours.Length];
            var pts = c.Epochs.Where(e => double.IsFinite(value(e))).ToList();
            sb.Append($"<polyline class=\"metric\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(' ', pts.Select(e => $"{N(X(e.Epoch))},{N(Y(value(e)))}"))}\"><title>{Esc(c.Label)} {Esc(metric)}</title></polyline>");
            if (i < 12)
            {
                sb.Append($"<line x1=\"{x1 + 10}\" x2=\"{x1 + 28}\" y1=\"{y0 + 8 + i * 16}\" y2=\"{y0 + 8 + i * 16}\" stroke=\"{colour}\" stroke-width=\"2\"/>");
                Text(sb, x1 + 32, y0 + 12 + i * 16, c.Label);
            }
        }
        return new(sb.Append("</svg>").ToString());
    }

    /// <summary>Per block, the share of skip / execute / repeat labels as a stacked column.</summary>
    public static MarkupString ActionFrequencies(ActionFrequencies f)
    {
        int colW = Math.Clamp(480 / Math.Max(1, f.Blocks), 10, 36);
        int w = Math.Max(320, 60 + f.Blocks * colW + 20), h = 230, x0 = 50, y0 = 24, y1 = h - 40;
        var sb = Open("action-frequencies", w, h, $"per-block action frequencies: {f.Label}");
        Text(sb, x0, 14, $"{f.Label} ({f.Paths} paths)");
        for (int t = 0; t <= 4; t++)
        {
            double y = y1 - t / 4.0 * (y1 - y0);
            sb.Append($"<line x1=\"{x0}\" x2=\"{x0 + f.Blocks * colW}\" y1=\"{N(y)}\" y2=\"{N(y)}\" stroke=\"#eee\"/>");
            Text(sb, x0 - 4, y + 4, (t * 25).ToString(Inv) + "%", "end");
        }
        for (int b = 0; b < f.Blocks; b++)
        {
            int total = f.Counts[b].Sum();
            double y = y1, x = x0 + b * colW + 1;
            for (int a = 0; a < 3; a++)
            {
                if (total == 0 || f.Counts[b][a] == 0) continue;
                double bh = (double)f.Counts[b][a] / total * (y1 - y0);
                y -= bh;
                sb.Append($"<rect class=\"action-{ActionNames[a]}\" x=\"{N(x)}\" y=\"{N(y)}\" width=\"{colW - 2}\" height=\"{N(bh)}\" fill=\"{ActionColours[a]}\"><title>block {b}: {ActionNames[a]} {f.Counts[b][a]}/{total}</title></rect>");
            }
            Text(sb, x + (colW - 2) / 2.0, y1 + 13, b.ToString(Inv), "middle");
        }
        Text(sb, x0, h - 8, "block; ■ skip (light) ■ execute (blue) ■ repeat (orange)", "start", " fill=\"#555\"");
        return new(sb.Append("</svg>").ToString());
    }
}
