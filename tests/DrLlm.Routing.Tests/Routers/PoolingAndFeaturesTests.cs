using DrLlm.Engine.Model;
using DrLlm.Routing.Routers;

namespace DrLlm.Routing.Tests.Routers;

public class PoolingAndFeaturesTests
{
    private static float[] Ramp(int tokens, int d) => Enumerable.Range(0, tokens * d).Select(i => (float)i).ToArray();

    [Fact]
    public void Fewer_tokens_than_windows_gives_one_window_per_token()
    {
        var h = Ramp(3, 2);
        var means = new float[8 * 2];
        Assert.Equal(3, WindowPooling.Forward(h, 3, 2, 8, means));
        Assert.Equal(h, means[..6]);
    }

    [Fact]
    public void Tokens_beyond_W_times_floor_T_over_W_are_left_out()
    {
        // T = 10, W = 4: windows of 2 tokens over tokens 0..7; tokens 8 and 9 are dropped.
        var h = Ramp(10, 1);
        var means = new float[4];
        Assert.Equal(4, WindowPooling.Forward(h, 10, 1, 4, means));
        Assert.Equal([0.5f, 2.5f, 4.5f, 6.5f], means);
        Assert.Throws<ArgumentException>(() => WindowPooling.WindowCount(0, 8));
    }

    [Fact]
    public void Divisible_prompt_uses_every_token()
    {
        var h = Ramp(16, 1);
        var means = new float[8];
        WindowPooling.Forward(h, 16, 1, 8, means);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => 2 * i + 0.5f), means);
    }

    [Fact]
    public void Teacher_forcing_captures_the_hidden_state_entering_each_block_on_the_label_path()
    {
        using var model = TinyModel.Create();
        int[] prompt = [5, 9, 14, 2, 33, 41, 7, 18, 3, 60, 12];
        // Skip, execute, repeat, skip at the end: block l's input enters step Σ_{j<l} y_j of the label path.
        int[] labels = [1, 0, 2, 1, 2, 0];
        var ex = new RouterExample("x", prompt, labels);
        using (var s = model.CreateSession())
        {
            var features = RouterFeatures.Compute(s, [ex, ex with { Id = "y", Labels = [1, 1, 1, 1, 1, 1] }]);
            Assert.Equal(8, features.WindowCounts[0]);

            using var explicitSession = model.CreateSession();
            // The label path run step by step, left open: a finished prefill keeps the state after its last step for the
            // last prompt row only, and block 5 (skipped) reads that state at every row.
            explicitSession.BeginPrefill(prompt);
            foreach (var b in LayerPath.FromBlockCounts(ex.Labels).Steps) explicitSession.RunStep(b);
            int d = TinyModel.Config.HiddenSize, step = 0;
            for (int l = 0; l < 6; l++)
            {
                var expected = new float[8 * d];
                WindowPooling.Forward(explicitSession.HiddenEnteringStep(step), prompt.Length, d, 8, expected);
                Assert.Equal(expected, features.Means(0, l).ToArray());
                step += labels[l];
            }
            // A skipped block's input is the stream entering the next executed step: block 1 sees block 0's output,
            // the same as block 2's first run does.
            Assert.Equal(features.Means(0, 1).ToArray(), features.Means(0, 2).ToArray());
        }
    }

    [Fact]
    public void Bad_labels_are_refused_naming_the_example()
    {
        using var model = TinyModel.Create();
        using var s = model.CreateSession();
        var e = Assert.Throws<ArgumentException>(() => RouterFeatures.Compute(s, [new RouterExample("ex7", [1, 2], [1, 1, 3, 1, 1, 1])]));
        Assert.Contains("ex7", e.Message);
        Assert.Throws<ArgumentException>(() => RouterFeatures.Compute(s, [new RouterExample("ex8", [1, 2], [1, 1])]));
    }
}
