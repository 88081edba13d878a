using DrLlm.Routing.Evaluation;
using DrLlm.Routing.Routers;
using DrLlm.Routing.Search;

namespace DrLlm.Routing.Tests.Routers;

public class RouterReportTests
{
    private static RoutedEvalSummary Eval(string task, int n, double baseline, double routed, double layers, double overheadMs) =>
        new(task, "test", n, 0, routed, baseline, routed - baseline, layers, 4, 4 - layers, 4,
            [[0, 1, 0], [0.5, 0.5, 0], [0.25, 0.5, 0.25], [0, 1, 0]], overheadMs * n / 1e3, overheadMs, 1, 1);

    private static RouterMetadata Meta()
    {
        // Block 0: 3 execute labels, all right. Block 1: skip, skip, execute predicted skip, execute, execute (2 of 3).
        long[] block0 = [0, 0, 0, 0, 3, 0, 0, 0, 0], block1 = [1, 1, 0, 0, 1, 0, 0, 0, 0], empty = new long[9];
        var epoch = new EpochMetrics(5, 0.2, [0.5, 0.9, 0], 0.3, 0.75, 0.6, [0.5, 1, double.NaN],
            [1, 1, 0, 0, 4, 0, 0, 0, 0], [block0, block1, empty, empty]);
        return new RouterMetadata(new BaseModelIdentity("tiny", new string('c', 64), 32, 4), 32, 4, 16, 8,
            [0.5, 0.2, 2.3], [10, 90, 2], new RouterTrainingOptions(), [epoch]);
    }

    [Fact]
    public void Eval_summaries_carry_f1_for_span_tasks_and_read_older_outputs_without_it()
    {
        var dir = Directory.CreateTempSubdirectory("routed-summary").FullName;
        try
        {
            var span = Eval("squadv2", 10, 0.3, 0.4, 3, 0.5) with { F1 = 0.55, BaselineF1 = 0.45 };
            var file = Path.Combine(dir, "squad.json");
            File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(span, RoutedEvalSummary.Json));
            Assert.Contains("\"baseline_f1\":0.45", File.ReadAllText(file));
            Assert.Equal((0.55, 0.45), (RoutedEvalSummary.Read(file).F1, RoutedEvalSummary.Read(file).BaselineF1));

            // An output written before f1 existed (a letter task): the fields are simply null.
            var old = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(Eval("mcq", 10, 0.3, 0.4, 3, 0.5), RoutedEvalSummary.Json))!.AsObject();
            old.Remove("f1");
            old.Remove("baseline_f1");
            File.WriteAllText(file, old.ToJsonString());
            var read = RoutedEvalSummary.Read(file);
            Assert.Equal((null, null, 10), (read.F1, read.BaselineF1, read.N));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Tables_give_accuracy_delta_layers_and_means_per_domain()
    {
        var md = RouterReport.Markdown(Meta(),
            [Eval("arith", 100, 0.10, 0.15, 3.5, 0.25), Eval("mcq", 300, 0.30, 0.29, 3.0, 0.5),
             Eval("ood-count", 50, 0.2, 0.2, 4.25, 1)],
            [("arith", new LabelStatistics(20, 5, 2, 17, 1, 1.2, 0.8, 0.1))]);
        Assert.Contains("### In domain (test split)", md);
        Assert.Contains("| arith | 100 | 10.0 → 15.0 | +5.0 | 4.00 → 3.50 | +0.50 | 0.250 |", md);
        Assert.Contains("| mcq | 300 | 30.0 → 29.0 | -1.0 | 4.00 → 3.00 | +1.00 | 0.500 |", md);
        Assert.Contains("| **mean** | | 20.0 → 22.0 | +2.0 | 4.00 → 3.25 | +0.75 | 0.375 |", md); // unweighted over families
        int ood = md.IndexOf("### Out of domain", StringComparison.Ordinal);
        Assert.True(ood > md.IndexOf("| mcq |", StringComparison.Ordinal));
        Assert.Contains("| ood-count | 50 | 20.0 → 20.0 | 0.0 | 4.00 → 4.25 | -0.25 | 1.000 |", md);
        Assert.DoesNotContain("| **mean** | | 20.0 → 20.0", md); // one OOD family: no mean row
        Assert.Contains("| arith | 20 | 5 | 10.0 | 2 / 17 / 1 | 1.20 | 80.0 |", md);
    }

    [Fact]
    public void Router_quality_comes_from_the_last_epoch_and_per_block_confusions()
    {
        var md = RouterReport.Markdown(Meta(), [Eval("arith", 100, 0.1, 0.1, 3.5, 0.1), Eval("ood-count", 300, 0.1, 0.1, 3.5, 0.1)], []);
        Assert.Contains("After epoch 5: per-block accuracy 75.0%, macro-F1 0.600", md);
        Assert.Contains("recall skip 50% / execute 100% / repeat n/a", md);
        Assert.Contains("| 0 | 0 / 3 / 0 | 100.0 | 1.000 | 0.0 / 100.0 / 0.0 |", md);
        // Block 1: F1(skip) = 2·1/(2+1) = 0.667, F1(execute) = 2·1/(1+2) = 0.667; decisions 50/50 in both evaluations.
        Assert.Contains("| 1 | 2 / 1 / 0 | 66.7 | 0.667 | 50.0 / 50.0 / 0.0 |", md);
        Assert.Contains("| 2 | 0 / 0 / 0 | n/a | n/a | 25.0 / 50.0 / 25.0 |", md);
        Assert.DoesNotContain("Search labels", md);
    }

    [Fact]
    public void Domain_comes_from_the_task_registry()
    {
        Assert.True(RouterReport.IsInDomain("arith"));
        Assert.True(RouterReport.IsInDomain("arc:/data/arc.jsonl"));
        Assert.False(RouterReport.IsInDomain("ood-order"));
        Assert.Null(RouterReport.IsInDomain("no-such-task"));
    }
}
