using DrLlm.Engine.Model;
using DrLlm.Routing.Routers;

namespace DrLlm.Routing.Tests.Routers;

public class RoutedInferenceTests
{
    private static readonly int[] Prompt = [5, 9, 14, 2, 33, 41, 7, 18, 22];

    /// <summary>Routers whose output ignores the input: fc2 zeroed, its bias favouring <paramref name="decision"/>.</summary>
    private static RouterSet Always(int decision)
    {
        var set = RouterSet.Create(TinyModel.Config.NumLayers, TinyModel.Config.HiddenSize, seed: 1);
        for (int l = 0; l < set.NumBlocks; l++)
        {
            set[l].Fc2Weight.Clear();
            set[l].Fc2Bias[decision] = 10f;
        }
        return set;
    }

    [Fact]
    public void Always_execute_gives_the_default_path_and_plain_greedy_output()
    {
        using var model = TinyModel.Create();
        using var routedSession = model.CreateSession();
        var routed = RoutedInference.Generate(routedSession, Always(1), Prompt, maxNewTokens: 6);
        using var plainSession = model.CreateSession();
        var plain = Generation.Greedy(plainSession, Prompt, LayerPath.Default(6), maxNewTokens: 6);

        Assert.Equal(LayerPath.Default(6), routed.Path);
        Assert.Equal([1, 1, 1, 1, 1, 1], routed.Decisions);
        Assert.Equal(plain.Tokens, routed.Generation.Tokens);
        Assert.True(routed.RouterSeconds > 0 && routed.RouterSeconds <= routed.TotalSeconds);
    }

    [Fact]
    public void Always_repeat_runs_every_block_twice_and_matches_that_fixed_path()
    {
        using var model = TinyModel.Create();
        using var s1 = model.CreateSession();
        var routed = RoutedInference.Generate(s1, Always(2), Prompt, maxNewTokens: 4);
        var doubled = LayerPath.Create(Enumerable.Range(0, 6).SelectMany(l => new[] { l, l }), 6);
        Assert.Equal(doubled, routed.Path);
        using var s2 = model.CreateSession();
        Assert.Equal(Generation.Greedy(s2, Prompt, doubled, 4).Tokens, routed.Generation.Tokens);
    }

    [Fact]
    public void A_skip_or_repeat_below_the_threshold_executes_instead()
    {
        // Even blocks: skip with probability 0.6 (logits ln 3, 0, 0); odd blocks: repeat with probability 0.8 (0, 0, ln 8).
        var set = RouterSet.Create(TinyModel.Config.NumLayers, TinyModel.Config.HiddenSize, seed: 1);
        for (int l = 0; l < set.NumBlocks; l++)
        {
            set[l].Fc2Weight.Clear();
            if (l % 2 == 0) set[l].Fc2Bias[0] = MathF.Log(3);
            else set[l].Fc2Bias[2] = MathF.Log(8);
        }
        using var model = TinyModel.Create();
        int[] Decisions(double threshold)
        {
            set.DecisionThreshold = threshold;
            using var s = model.CreateSession();
            return RoutedInference.Generate(s, set, Prompt, maxNewTokens: 1).Decisions;
        }
        Assert.Equal([0, 2, 0, 2, 0, 2], Decisions(0));    // argmax, the paper's rule
        Assert.Equal([0, 2, 0, 2, 0, 2], Decisions(0.59));
        Assert.Equal([1, 2, 1, 2, 1, 2], Decisions(0.7));  // the skips are not sure enough
        Assert.Equal([1, 1, 1, 1, 1, 1], Decisions(0.81)); // nor the repeats: the default path
        Assert.Equal(0.6, RouterSet.Probability([MathF.Log(3), 0, 0], 0), 6);
        Assert.Throws<ArgumentException>(() => set.DecisionThreshold = -0.1);
    }

    [Fact]
    public void Skipping_everything_still_runs_the_last_block()
    {
        using var model = TinyModel.Create();
        using var s = model.CreateSession();
        var routed = RoutedInference.Generate(s, Always(0), Prompt, maxNewTokens: 2);
        Assert.Equal([5], routed.Path.Steps);
        Assert.Equal([0, 0, 0, 0, 0, 1], routed.Decisions);
    }

    [Fact]
    public void Each_router_sees_the_stream_its_predecessors_left_as_teacher_forcing_would()
    {
        // Routers 0..5 with random weights: the routed path's teacher-forced features give the same decisions again,
        // i.e. inference and training read the same hidden states for the same path.
        using var model = TinyModel.Create();
        var set = RouterSet.Create(6, TinyModel.Config.HiddenSize, seed: 5, inputScales: [2f, 0.5f, 1f, 3f, 0.25f, 1.5f]);
        for (int l = 0; l < 6; l++) set[l].Fc2Bias[l % 3] = 0.05f;
        using var s = model.CreateSession();
        var routed = RoutedInference.Generate(s, set, Prompt, maxNewTokens: 1);
        using var s2 = model.CreateSession();
        var features = RouterFeatures.Compute(s2, [new RouterExample("p", Prompt, routed.Decisions)]);
        var pre = new float[8 * set.Hidden];
        var act = new float[8 * set.Hidden];
        var logits = new float[3];
        for (int l = 0; l < 6; l++)
        {
            set[l].Forward(features.Means(0, l), features.WindowCounts[0], pre, act, logits);
            Assert.Equal(routed.Decisions[l], Engine.Kernels.Ops.Argmax(logits));
        }
    }

    [Fact]
    public void Routers_for_another_shape_are_refused()
    {
        using var model = TinyModel.Create();
        using var s = model.CreateSession();
        var wrong = RouterSet.Create(5, TinyModel.Config.HiddenSize, seed: 1);
        Assert.Throws<ArgumentException>(() => RoutedInference.Generate(s, wrong, Prompt, 1));
    }
}
