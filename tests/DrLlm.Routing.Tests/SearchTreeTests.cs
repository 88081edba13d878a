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

    private static readonly SearchOptions NoEarlyStop = new() { EarlyStopOnFix = false, EarlyStopSavedSteps = 0 };

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

    [Fact]
    public void A_fixed_wrong_default_stops_the_search()
    {
        var tree = new SearchTree(6, new SearchOptions(), seed: 1);
        var r = tree.Run(new Judge(p => p.Length != 6)); // the default (length 6) is wrong, every child is right
        Assert.False(r.DefaultCorrect);
        Assert.Equal("fixed", r.StopReason);
        Assert.Equal(1, r.Simulations);
        Assert.True(r.BestCorrect);
    }

    [Fact]
    public void A_correct_path_two_steps_shorter_stops_the_search()
    {
        // Default right, one-step skips right but not enough; a 2-step skip (length 4 ≤ 6 − 2) is found and ends it.
        var tree = new SearchTree(6, new SearchOptions { Simulations = 500 }, seed: 2);
        var r = tree.Run(new Judge(p => p.Length >= 4));
        Assert.True(r.DefaultCorrect);
        Assert.Equal("shorter", r.StopReason);
        Assert.Equal(4, r.BestPath!.Length);
        Assert.True(r.Simulations < 500);
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
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(49)]
    public void Stopping_serialising_and_resuming_gives_exactly_the_uninterrupted_search(int stopAfter)
    {
        var straight = new SearchTree(8, NoEarlyStop, seed: 7);
        var expected = straight.Run(new Judge(Mixed));

        var first = new SearchTree(8, NoEarlyStop, seed: 7);
        var judge = new Judge(Mixed);
        for (int i = 0; i <= stopAfter && first.Step(judge); i++) { }
        var json = first.State.ToJson();

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
