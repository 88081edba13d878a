using DrLlm.Engine.Model;
using DrLlm.Routing.Search;

namespace DrLlm.Routing.Tests;

public class SearchTreeTests
{
    /// <summary>A rule-based judge that counts its calls.</summary>
    private sealed class Judge(Func<int[], bool> rule) : IPathEvaluator
    {
        public readonly List<string> Calls = [];
        public bool IsCorrect(IReadOnlyList<int> steps)
        {
            Calls.Add(string.Join(",", steps));
            return rule(steps.ToArray());
        }
    }

    /// <summary>Correct iff the path runs block 2 and at most one of blocks 4 and 5: mixed rewards over the tree.</summary>
    private static bool Mixed(int[] p) => p.Contains(2) && (p.Contains(4) ? 1 : 0) + (p.Contains(5) ? 1 : 0) <= 1 && p.Length >= 4;

    private static readonly SearchOptions NoEarlyStop = new() { EarlyStopOnFix = false, EarlyStopSavedSteps = 0, EarlyStopSavedFraction = 0 };
    private static readonly SearchOptions Paper = SearchOptions.PaperLabels(new SearchOptions());

    private static List<string> Children(string path, int numBlocks) =>
        [.. PathActions.Children(LayerPath.Parse(path, numBlocks), new SearchOptions()).Select(p => p.ToString())];

    [Fact]
    public void Children_are_one_skip_of_one_or_two_steps_or_one_repeat()
    {
        Assert.Equal(["1,2", "0,2", "0,1", "2", "0", "0,0,1,2", "0,1,1,2", "0,1,2,2"], Children("0,1,2", 3));
    }

    [Fact]
    public void Children_keep_a_block_to_two_runs_dedupe_and_respect_the_length_bound()
    {
        // Skipping either 0 gives 0,1 once; 0 cannot repeat again.
        Assert.Equal(["0,1", "0,0", "1", "0", "0,0,1,1"], Children("0,0,1", 2));
        Assert.DoesNotContain(Children("0,0,1,1", 2), k => k.Split(',').Length > 4); // 2L = 4: no repeats
        Assert.Equal(["3,3"], Children("3", 4)); // never empty
        foreach (var child in PathActions.Children(LayerPath.Default(5), new SearchOptions()))
            Assert.All(child.BlockCounts(), y => Assert.InRange(y, 0, 2));
    }

    [Fact]
    public void Ucb_is_mean_reward_plus_exploration_minus_length_penalty_with_the_parents_visits()
    {
        var tree = new SearchTree(4, NoEarlyStop with { Simulations = 6 }, seed: 1);
        tree.Run(new Judge(p => p.Length % 2 == 0));
        var s = tree.State;
        var parent = s.Nodes[0];
        var child = parent.Children!.Select(i => (i, n: s.Nodes[i])).First(x => x.n.Visits > 0);
        double expected = child.n.ValueSum / child.n.Visits + 1.8 * Math.Sqrt(Math.Log(parent.Visits) / child.n.Visits)
            - 3.0 * child.n.Steps.Length / 4;
        Assert.Equal(expected, tree.Ucb(0, child.i), 12);
    }

    [Fact]
    public void Each_distinct_path_is_evaluated_once()
    {
        var judge = new Judge(Mixed);
        var tree = new SearchTree(6, NoEarlyStop with { Simulations = 200 }, seed: 3);
        var r = tree.Run(judge);
        Assert.Equal(judge.Calls.Count, judge.Calls.Distinct().Count());
        Assert.Equal(judge.Calls.Count, r.PathsEvaluated);
        Assert.Equal(200, r.Simulations);
        Assert.Equal("budget", r.StopReason);
    }

    /// <summary>The root of a 6-block tree has 6 one-step skips, 5 two-step skips and 6 repeats.</summary>
    private const int RootChildrenOf6 = 17;

    [Fact]
    public void A_fixed_wrong_default_stops_the_search_once_the_fixs_siblings_are_evaluated()
    {
        var judge = new Judge(p => p.Length != 6); // the default (length 6) is wrong, every child is right
        var r = new SearchTree(6, new SearchOptions(), seed: 1).Run(judge);
        Assert.False(r.DefaultCorrect);
        Assert.Equal("fixed", r.StopReason);
        Assert.Equal(RootChildrenOf6, r.Simulations); // the first fix, then the rest of the root's children
        Assert.Equal(RootChildrenOf6 + 1, judge.Calls.Count);
        Assert.Equal([0, 1, 2, 3], r.BestPath!); // the shortest children, then the smallest steps

        var paper = new SearchTree(6, Paper, seed: 1).Run(new Judge(p => p.Length != 6));
        Assert.Equal(("fixed", 1), (paper.StopReason, paper.Simulations)); // the paper stops at the first fix
    }

    [Fact]
    public void A_correct_path_saving_the_threshold_stops_the_search()
    {
        // Default and every path of ≥ 4 steps right. On 6 blocks the threshold is 1 step: a one-step skip stops the
        // search once the root's children are evaluated, and the best of them is a two-step skip.
        var r = new SearchTree(6, new SearchOptions { Simulations = 500 }, seed: 2).Run(new Judge(p => p.Length >= 4));
        Assert.True(r.DefaultCorrect);
        Assert.Equal(("shorter", RootChildrenOf6), (r.StopReason, r.Simulations));
        Assert.Equal([0, 1, 2, 3], r.BestPath!);

        // The paper's 2 steps: one-step skips are not enough; the first two-step skip found ends it.
        var paper = new SearchTree(6, Paper with { Simulations = 500 }, seed: 2).Run(new Judge(p => p.Length >= 4));
        Assert.Equal("shorter", paper.StopReason);
        Assert.Equal(4, paper.BestPath!.Length);
        Assert.True(paper.Simulations < RootChildrenOf6);
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(8, 1)]
    [InlineData(16, 1)]
    [InlineData(28, 2)] // the paper's models: LLaMA-3.2-3B, Qwen2.5-7B
    [InlineData(32, 2)] // LLaMA-3.1-8B
    [InlineData(36, 2)] // Qwen2.5-3B
    [InlineData(42, 3)]
    public void The_early_stop_asks_a_fourteenth_of_the_depth_and_at_least_one_step(int blocks, int steps)
    {
        Assert.Equal(steps, new SearchOptions().EarlyStopThreshold(blocks));
        Assert.Equal(2, Paper.EarlyStopThreshold(blocks));
        Assert.Equal(0, NoEarlyStop.EarlyStopThreshold(blocks));
    }

    [Fact]
    public void A_label_found_among_the_roots_children_does_not_depend_on_the_search_seed()
    {
        // Right: paths that run block 0 and have ≥ 6 of the 8 steps. Many two-step skips qualify; the paper's stop
        // takes whichever the random order evaluates first, ours the best of all the root's children.
        static bool Rule(int[] p) => p.Contains(0) && p.Length >= 6;
        var ours = Enumerable.Range(1, 10).Select(seed => new SearchTree(8, new SearchOptions(), (ulong)seed).Run(new Judge(Rule)))
            .Select(r => string.Join(",", r.BestPath!)).Distinct().ToList();
        Assert.Equal(["0,1,2,3,4,5"], ours);
        var paper = Enumerable.Range(1, 10).Select(seed => new SearchTree(8, Paper, (ulong)seed).Run(new Judge(Rule)))
            .Select(r => string.Join(",", r.BestPath!)).Distinct().ToList();
        Assert.True(paper.Count > 1, $"the paper's early stop gave one label for every seed: {paper[0]}");
    }

    [Fact]
    public void A_correct_default_is_not_replaced_by_a_path_of_its_length()
    {
        // Right: the default and 0,0,2,3 (block 1 skipped, block 0 repeated: 4 steps, 3 distinct blocks).
        var allowed = new HashSet<string> { "0,1,2,3", "0,0,2,3" };
        var options = NoEarlyStop with { Simulations = 400, LengthPenalty = 0 };
        var tree = new SearchTree(4, options, seed: 5);
        var r = tree.Run(new Judge(p => allowed.Contains(string.Join(",", p))));
        Assert.True(tree.State.Memo["0,0,2,3"]);
        Assert.Equal([0, 1, 2, 3], r.BestPath!);
        var paper = new SearchTree(4, options with { DefaultWinsTies = false }, seed: 5).Run(new Judge(p => allowed.Contains(string.Join(",", p))));
        Assert.Equal([0, 0, 2, 3], paper.BestPath!); // fewer distinct blocks alone prefers the deviation
    }

    [Fact]
    public void Equally_short_paths_are_ordered_by_their_steps_not_their_text()
    {
        // On 12 blocks, skipping block 9 or block 10 is right. As numbers, 0..8,10,11 > 0..9,11 (10 > 9 at step 9);
        // as text "…,8,10,11" < "…,8,9,11". The steps decide: block 10 is skipped.
        static int[] Skip(int b) => [.. Enumerable.Range(0, 12).Where(x => x != b)];
        var right = new HashSet<string> { string.Join(",", Skip(9)), string.Join(",", Skip(10)), string.Join(",", Enumerable.Range(0, 12)) };
        var r = new SearchTree(12, NoEarlyStop with { Simulations = 60 }, seed: 1).Run(new Judge(p => right.Contains(string.Join(",", p))));
        Assert.Equal(Skip(10), r.BestPath!);
    }

    [Fact]
    public void Result_is_the_shortest_correct_path_with_fewest_distinct_blocks()
    {
        // Correct: the default, 0,0,2 (3 steps, 2 blocks) and 0,1,2 (3 steps, 3 blocks) — only reachable ones count.
        var allowed = new HashSet<string> { "0,1,2,3", "0,0,1,2", "0,1,2", "0,0,2" };
        var tree = new SearchTree(4, NoEarlyStop with { Simulations = 400, LengthPenalty = 0 }, seed: 5);
        var r = tree.Run(new Judge(p => allowed.Contains(string.Join(",", p))));
        Assert.True(tree.State.Memo["0,1,2"]); // the same length with more distinct blocks was found, and lost the tie
        Assert.Equal([0, 0, 2], r.BestPath!);
        Assert.Equal([2, 0, 1, 0], r.Labels!);
    }

    [Fact]
    public void Nothing_correct_gives_no_label()
    {
        var r = new SearchTree(4, new SearchOptions { Simulations = 20 }, seed: 1).Run(new Judge(_ => false));
        Assert.False(r.BestCorrect);
        Assert.Null(r.BestPath);
        Assert.Null(r.Labels);
    }

    [Fact]
    public void The_same_seed_gives_the_same_search()
    {
        var a = new SearchTree(8, NoEarlyStop, seed: 42);
        var b = new SearchTree(8, NoEarlyStop, seed: 42);
        var ja = new Judge(Mixed);
        var jb = new Judge(Mixed);
        Assert.Equal(a.Run(ja), b.Run(jb), new ResultComparer());
        Assert.Equal(ja.Calls, jb.Calls);
        Assert.Equal(a.State.ToJson(), b.State.ToJson());
        var c = new SearchTree(8, NoEarlyStop, seed: 43);
        var jc = new Judge(Mixed);
        c.Run(jc);
        Assert.NotEqual(ja.Calls, jc.Calls);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(17, false)]
    [InlineData(49, false)]
    [InlineData(1, true)]  // the default path is wrong under Mixed: a fix, then the sweep of its siblings
    [InlineData(5, true)]
    public void Stopping_serialising_and_resuming_gives_exactly_the_uninterrupted_search(int stopAfter, bool earlyStop)
    {
        var options = earlyStop ? new SearchOptions() : NoEarlyStop;
        var straight = new SearchTree(8, options, seed: 7);
        var expected = straight.Run(new Judge(Mixed));
        if (earlyStop) Assert.Equal("fixed", expected.StopReason);

        var first = new SearchTree(8, options, seed: 7);
        var judge = new Judge(Mixed);
        // With the early stop: interrupted stopAfter simulations into the sweep that a fix started.
        for (int i = 0; (i <= stopAfter || (earlyStop && first.State.PendingStop is null)) && first.Step(judge); i++)
            if (earlyStop && first.State.PendingStop is null) i = -1;
        var json = first.State.ToJson();
        if (earlyStop) Assert.Contains("\"pending_stop\":{\"reason\":\"fixed\"", json);

        var resumed = SearchTree.Resume(SearchState.FromJson(json, "checkpoint.json"));
        var actual = resumed.Run(judge);
        Assert.Equal(expected, actual, new ResultComparer());
        Assert.Equal(straight.State.ToJson(), resumed.State.ToJson());
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("{\"version\":9,\"num_blocks\":2,\"options\":{},\"nodes\":[],\"memo\":{},\"rng\":[1,2,3,4]}", "version 9")]
    [InlineData("{\"version\":1,\"num_blocks\":2,\"options\":{},\"nodes\":[],\"memo\":{},\"rng\":[1,2,3,4]}", "no root node")]
    [InlineData("{\"version\":1,\"num_blocks\":2,\"options\":{},\"nodes\":[{\"steps\":[0,5],\"parent\":-1}],\"memo\":{},\"rng\":[1,2,3,4]}", "node 0 is not a layer path of 2 blocks (layer path step 1 is block 5; the model has blocks 0..1)")]
    [InlineData("{\"version\":1,\"num_blocks\":2,\"options\":{},\"nodes\":[{\"steps\":[0,0,0],\"parent\":-1}],\"memo\":{},\"rng\":[1,2,3,4]}", "runs block 0 more than twice")]
    [InlineData("{\"version\":1,\"num_blocks\":2,\"options\":{},\"nodes\":[{\"steps\":[0,1],\"parent\":-1}],\"memo\":{\"1,0\":true},\"rng\":[1,2,3,4]}", "memo entry '1,0' is not a layer path")]
    [InlineData("{\"version\":1,\"num_blocks\":2,\"options\":{},\"nodes\":[{\"steps\":[0,1],\"parent\":-1}],\"memo\":{},\"rng\":[1]}", "4 words")]
    [InlineData("{\"version\":1,\"num_blocks\":2,\"options\":{},\"nodes\":[{\"steps\":[0,1],\"parent\":-1}],\"memo\":{},\"rng\":[1,2,3,4],\"pending_stop\":{\"reason\":\"fixed\",\"parent\":3}}", "pending stop waits on node 3")]
    public void A_corrupt_state_is_a_clear_error_naming_its_source(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => SearchState.FromJson(json, "trees/ex-17.json"));
        Assert.Contains("trees/ex-17.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    private sealed class ResultComparer : IEqualityComparer<SearchResult>
    {
        public bool Equals(SearchResult? x, SearchResult? y) =>
            x!.DefaultCorrect == y!.DefaultCorrect && x.BestCorrect == y.BestCorrect && x.Simulations == y.Simulations
            && x.PathsEvaluated == y.PathsEvaluated && x.StopReason == y.StopReason
            && (x.BestPath ?? []).SequenceEqual(y.BestPath ?? []) && (x.Labels ?? []).SequenceEqual(y.Labels ?? []);
        public int GetHashCode(SearchResult obj) => obj.Simulations;
    }
}
