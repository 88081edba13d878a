using DrLlm.Engine.Model;
using DrLlm.Routing.Search;

namespace DrLlm.Routing.Tests;

public class EnginePathEvaluatorTests
{
    private static readonly ModelConfig Config = new()
    {
        Architecture = Architecture.Llama, HiddenSize = 64, IntermediateSize = 96, NumLayers = 6, NumHeads = 4,
        NumKvHeads = 2, HeadDim = 16, VocabSize = 64, RmsNormEps = 1e-5f,
    };

    private static Decoder Model() =>
        new(ModelWeights.FromCheckpoint(InMemoryTensorSource.Checkpoint(Config, RandomInit.Weights(Config, 3, 0.3f))), threads: 1);

    private static readonly int[] Prompt = [5, 9, 14, 2, 33, 41, 7, 18];

    /// <summary>Graded "correct" when the first generated token is even: an arbitrary but path-dependent answer.</summary>
    private static bool Grade(IReadOnlyList<int> ids) => ids.Count > 0 && ids[0] % 2 == 0;

    private static (SearchResult Result, EnginePathEvaluator Evaluator) Search(bool reuse, int sessions)
    {
        using var m = Model();
        using var s = new SessionPool(m, sessions);
        s.ReusePrefix = reuse;
        var ev = new EnginePathEvaluator(s, Prompt, maxNewTokens: 3, new HashSet<int>(), Grade);
        var tree = new SearchTree(Config.NumLayers, new SearchOptions { EarlyStopOnFix = false, EarlyStopSavedSteps = 0, Simulations = 30 }, seed: 9);
        return (tree.Run(ev), ev);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(32)]
    public void Prefix_reuse_changes_the_cost_not_the_search(int sessions)
    {
        var (withReuse, ev1) = Search(reuse: true, sessions);
        var (without, ev2) = Search(reuse: false, sessions);
        Assert.Equal(without.BestPath ?? [], withReuse.BestPath ?? []);
        Assert.Equal(without.PathsEvaluated, withReuse.PathsEvaluated);
        Assert.Equal(0, ev2.BlockRunsSaved);
        Assert.True(ev1.BlockRunsSaved > 0);
        // Work accounting: what reuse saved plus what it ran is exactly what recomputation ran.
        Assert.Equal(ev2.BlockRuns, ev1.BlockRuns + ev1.BlockRunsSaved);
    }

    [Fact]
    public void The_default_pool_size_is_what_a_memory_budget_holds_between_2_and_32()
    {
        var demo = Config with { HiddenSize = 128, NumLayers = 8, NumHeads = 4, NumKvHeads = 2, HeadDim = 32 };
        Assert.Equal(32, SessionPool.AutoSize(demo)); // ~9 MB a session: the cap
        // Qwen2.5-3B's shape: 36 blocks, d 2048, 2 KV heads of 128: (73·2048 + 72·2·256)·512·4 B = 381 MB a session.
        var qwen3b = Config with { HiddenSize = 2048, NumLayers = 36, NumHeads = 16, NumKvHeads = 2, HeadDim = 128 };
        Assert.Equal(2, SessionPool.AutoSize(qwen3b));
        Assert.Equal(10, SessionPool.AutoSize(qwen3b, budgetBytes: 10L * 381_681_664));
        Assert.Equal(5, SessionPool.AutoSize(qwen3b, rows: 256, budgetBytes: 5L * 381_681_664 / 2));
    }

    [Fact]
    public void A_pool_sends_each_path_to_the_session_that_shares_most_of_it()
    {
        using var m = Model();
        using var pool = new SessionPool(m, 2);
        var ev = new EnginePathEvaluator(pool, Prompt, maxNewTokens: 1, new HashSet<int>(), Grade);
        ev.IsCorrect([0, 1, 2, 3, 4, 5]); // session A
        ev.IsCorrect([3, 4, 5]);          // shares nothing: the unused session B
        long saved = ev.BlockRunsSaved;
        ev.IsCorrect([0, 1, 2, 3, 5]);    // back to A: 4 steps reused (one session alone would have reused none)
        Assert.Equal(4, ev.BlockRunsSaved - saved);
    }

    /// <summary>
    /// The session a path reuses from keeps its run (another session receives a copy and runs the path), so a run that
    /// many paths share — the root's — is not overwritten by the first child evaluated after it.
    /// </summary>
    [Fact]
    public void A_pool_keeps_the_run_it_reuses_from()
    {
        using var m = Model();
        using var pool = new SessionPool(m, 2);
        var ev = new EnginePathEvaluator(pool, Prompt, maxNewTokens: 1, new HashSet<int>(), Grade);
        ev.IsCorrect([0, 1, 2, 3, 4, 5]); // the root, session A
        ev.IsCorrect([1, 2, 3, 4, 5]);    // shares nothing: session B
        long saved = ev.BlockRunsSaved;
        ev.IsCorrect([0, 1, 3, 4, 5]);    // 2 steps from A, run in B (A keeps the root)
        Assert.Equal(2, ev.BlockRunsSaved - saved);
        saved = ev.BlockRunsSaved;
        ev.IsCorrect([0, 1, 2, 3, 5]);    // 4 steps from the root (overwriting A would have left 2)
        Assert.Equal(4, ev.BlockRunsSaved - saved);
    }

    [Fact]
    public void Each_evaluation_counts_the_prefill_and_the_decoded_tokens()
    {
        using var m = Model();
        using var s = new SessionPool(m, 1);
        var ev = new EnginePathEvaluator(s, Prompt, maxNewTokens: 3, new HashSet<int>(), Grade);
        ev.IsCorrect([0, 1, 2, 3, 4, 5]);
        Assert.Equal(6 + 2 * 6, ev.BlockRuns); // prefill + 2 decode steps (the third token needs no forward)
        Assert.Equal(0, ev.BlockRunsSaved);
        var first = ev.LastOutput;
        ev.IsCorrect([0, 1, 3, 4, 5]);
        // Blocks 0 and 1 are reused in the prefill, and for each decoded token that matches the first run.
        int matching = first.Zip(ev.LastOutput).TakeWhile(x => x.First == x.Second).Count();
        int reusedDecodes = Math.Min(matching, 2);
        Assert.Equal(2 + 2 * reusedDecodes, ev.BlockRunsSaved);
        Assert.Equal(18 + 5 * 3 - ev.BlockRunsSaved, ev.BlockRuns);
        Assert.Equal(3, ev.LastOutput.Length);
    }
}
