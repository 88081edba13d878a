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

    private static (SearchResult Result, EnginePathEvaluator Evaluator) Search(bool reuse)
    {
        using var m = Model();
        using var s = m.CreateSession();
        s.ReusePrefix = reuse;
        var ev = new EnginePathEvaluator(s, Prompt, maxNewTokens: 3, new HashSet<int>(), Grade);
        var tree = new SearchTree(Config.NumLayers, new SearchOptions { EarlyStopOnFix = false, EarlyStopSavedSteps = 0, Simulations = 30 }, seed: 9);
        return (tree.Run(ev), ev);
    }

    [Fact]
    public void Prefix_reuse_changes_the_cost_not_the_search()
    {
        var (withReuse, ev1) = Search(reuse: true);
        var (without, ev2) = Search(reuse: false);
        Assert.Equal(without.BestPath ?? [], withReuse.BestPath ?? []);
        Assert.Equal(without.PathsEvaluated, withReuse.PathsEvaluated);
        Assert.Equal(0, ev2.BlockRunsSaved);
        Assert.True(ev1.BlockRunsSaved > 0);
        // Work accounting: what reuse saved plus what it ran is exactly what recomputation ran.
        Assert.Equal(ev2.BlockRuns, ev1.BlockRuns + ev1.BlockRunsSaved);
    }

    [Fact]
    public void Each_evaluation_counts_the_prefill_and_the_decoded_tokens()
    {
        using var m = Model();
        using var s = m.CreateSession();
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
