using DrLlm.Routing.Routers;

namespace DrLlm.Routing.Tests.Routers;

public class RouterGradientTests
{
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.25, 0.27632639016823696)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(-2.0, -0.9953222650189527)]
    [InlineData(3.5, 0.9999992569016276)]
    [InlineData(5.0, 0.9999999999984626)]
    public void Erf_matches_reference_values(double x, double expected) =>
        Assert.Equal(expected, Gelu.Erf(x), 1e-14);

    [Fact]
    public void Gelu_is_the_exact_erf_form_and_its_derivative_matches_finite_differences()
    {
        Assert.Equal(0.8413447460685429, Gelu.Forward(1.0), 1e-14); // 1·Φ(1)
        Assert.Equal(-0.15865525393145707, Gelu.Forward(-1.0), 1e-14);
        for (double x = -6; x <= 6; x += 0.37)
        {
            const double h = 1e-5;
            double numeric = (Gelu.Forward(x + h) - Gelu.Forward(x - h)) / (2 * h);
            Assert.Equal(numeric, Gelu.Derivative(x), 1e-8);
        }
    }

    [Theory]
    [InlineData(0, 2.0)]
    [InlineData(1, 2.0)]
    [InlineData(2, 2.0)]
    [InlineData(2, 0.0)]
    [InlineData(1, 1.0)]
    public void Focal_loss_gradient_matches_finite_differences(int target, double gamma)
    {
        var loss = new FocalLoss([0.7, 1.1, 1.2], gamma);
        float[][] cases = [[0.3f, -1.2f, 0.8f], [2f, 2f, -3f], [-0.5f, 4f, 0.1f], [0f, 0f, 0f]];
        foreach (var z in cases)
        {
            var g = new float[3];
            loss.ForwardBackward(z, target, g);
            for (int j = 0; j < 3; j++)
            {
                const float h = 1e-2f;
                var zp = (float[])z.Clone(); zp[j] += h;
                var zm = (float[])z.Clone(); zm[j] -= h;
                double numeric = (loss.Forward(zp, target) - loss.Forward(zm, target)) / (2 * h);
                Assert.True(Math.Abs(numeric - g[j]) < 1e-4 + 1e-3 * Math.Abs(numeric), $"z {string.Join(",", z)} target {target} class {j}: analytic {g[j]}, numeric {numeric}");
            }
        }
    }

    [Fact]
    public void Focal_loss_with_gamma_zero_is_weighted_cross_entropy()
    {
        var loss = new FocalLoss([1, 2, 1], gamma: 0);
        float[] z = [0.1f, 0.4f, -0.3f];
        double p1 = Math.Exp(0.4) / (Math.Exp(0.1) + Math.Exp(0.4) + Math.Exp(-0.3));
        Assert.Equal(-2 * Math.Log(p1), loss.Forward(z, 1), 1e-6);
    }

    [Fact]
    public void Effective_number_weights_follow_the_formula_sum_to_three_and_guard_empty_classes()
    {
        // The paper's label counts: skip 4,399 / execute 120,956 / repeat 1,457.
        var w = FocalLoss.EffectiveNumberWeights([4399, 120956, 1457]);
        double[] raw = [0.001 / (1 - Math.Pow(0.999, 4399)), 0.001 / (1 - Math.Pow(0.999, 120956)), 0.001 / (1 - Math.Pow(0.999, 1457))];
        for (int c = 0; c < 3; c++) Assert.Equal(3 * raw[c] / raw.Sum(), w[c], 1e-12);
        Assert.Equal(3, w.Sum(), 1e-12);
        Assert.True(w[2] > w[0] && w[0] > w[1]); // rarer classes weigh more
        var empty = FocalLoss.EffectiveNumberWeights([0, 50, 5]);
        Assert.Equal(0, empty[0]);
        Assert.Equal(3, empty.Sum(), 1e-12);
        Assert.Throws<ArgumentException>(() => FocalLoss.EffectiveNumberWeights([0, 0, 0]));
    }

    /// <summary>Loss of router(pool(hidden)) for one label: the whole path the trainer differentiates, pooling included.</summary>
    private static double Loss(RouterSet set, int block, float[] hidden, int tokens, FocalLoss loss, int target)
    {
        var logits = new float[3];
        set.Decide(block, hidden, tokens, logits);
        return loss.Forward(logits, target);
    }

    private static (float[] DParams, float[] DHidden) Analytic(RouterSet set, int block, float[] hidden, int tokens, FocalLoss loss, int target)
    {
        int w = WindowPooling.WindowCount(tokens, set.Windows);
        var means = new float[w * set.Dim];
        var pre = new float[w * set.Hidden];
        var act = new float[w * set.Hidden];
        var logits = new float[3];
        var dLogits = new float[3];
        WindowPooling.Forward(hidden, tokens, set.Dim, set.Windows, means);
        set[block].Forward(means, w, pre, act, logits);
        loss.ForwardBackward(logits, target, dLogits);
        var dParams = new float[set.ParametersPerRouter];
        var dMeans = new float[w * set.Dim];
        set[block].Backward(means, w, pre, act, dLogits, dParams, dMeans);
        var dHidden = new float[hidden.Length];
        WindowPooling.Backward(dMeans, tokens, set.Dim, set.Windows, dHidden);
        return (dParams, dHidden);
    }

    /// <summary>Largest |analytic − numeric| / (1e-3 + |numeric|) over every parameter and every hidden input.</summary>
    private static double WorstError(RouterSet set, int block, float[] hidden, int tokens, FocalLoss loss, int target, float[] dParams, float[] dHidden)
    {
        const float h = 1e-2f;
        double worst = 0;
        var p = set[block].Parameters;
        for (int i = 0; i < p.Length; i++)
        {
            float keep = p[i];
            p[i] = keep + h; double up = Loss(set, block, hidden, tokens, loss, target);
            p[i] = keep - h; double down = Loss(set, block, hidden, tokens, loss, target);
            p[i] = keep;
            double numeric = (up - down) / (2 * h);
            worst = Math.Max(worst, Math.Abs(numeric - dParams[i]) / (1e-3 + Math.Abs(numeric)));
        }
        for (int i = 0; i < hidden.Length; i++)
        {
            float keep = hidden[i];
            hidden[i] = keep + h; double up = Loss(set, block, hidden, tokens, loss, target);
            hidden[i] = keep - h; double down = Loss(set, block, hidden, tokens, loss, target);
            hidden[i] = keep;
            double numeric = (up - down) / (2 * h);
            worst = Math.Max(worst, Math.Abs(numeric - dHidden[i]) / (1e-3 + Math.Abs(numeric)));
        }
        return worst;
    }

    [Theory]
    [InlineData(11, 4, 0, 1f)] // T not divisible by W: the last 3 tokens are dropped
    [InlineData(3, 8, 2, 1f)]  // T < W: one window per token
    [InlineData(16, 8, 1, 1f)]
    [InlineData(11, 4, 2, 2.5f)] // a fixed input scale: fc1 sees 2.5·x
    [InlineData(16, 8, 0, 0.2f)]
    public void Whole_router_gradient_with_pooling_matches_finite_differences(int tokens, int windows, int target, float inputScale)
    {
        const int d = 6;
        var set = RouterSet.Create(numBlocks: 2, dim: d, seed: 7, hidden: 5, windows: windows, inputScales: [1f, inputScale]);
        // Non-zero biases so their gradients are exercised away from the initial point.
        var rng = new Search.SplitMix(11);
        for (int i = 0; i < set.Parameters.Length; i++) set.Parameters[i] += (float)(rng.NextDouble() - 0.5);
        var hidden = Enumerable.Range(0, tokens * d).Select(_ => (float)(2 * rng.NextDouble() - 1)).ToArray();
        var loss = new FocalLoss([0.8, 1.0, 1.2]);

        var (dParams, dHidden) = Analytic(set, 1, hidden, tokens, loss, target);
        Assert.True(WorstError(set, 1, hidden, tokens, loss, target, dParams, dHidden) < 2e-2);

        // The scale is part of the function: router 1 on x equals a scale-1 router with fc1.weight·s on x.
        var folded = RouterSet.Create(numBlocks: 2, dim: d, seed: 7, hidden: 5, windows: windows);
        set.Parameters.CopyTo(folded.Parameters, 0);
        foreach (ref float v in folded[1].Fc1Weight) v *= inputScale;
        var (a, b) = (new float[3], new float[3]);
        set.Decide(1, hidden, tokens, a);
        folded.Decide(1, hidden, tokens, b);
        for (int c = 0; c < 3; c++) Assert.Equal(a[c], b[c], 1e-4f);

        int w = Math.Min(tokens, windows), used = w * (tokens / w);
        for (int i = used * d; i < hidden.Length; i++) Assert.Equal(0f, dHidden[i]); // dropped tokens get no gradient

        // The check is sharp enough to catch a wrong gradient: one entry off by 10% fails it.
        int big = Array.IndexOf(dParams, dParams.MaxBy(Math.Abs));
        dParams[big] *= 1.1f;
        Assert.True(WorstError(set, 1, hidden, tokens, loss, target, dParams, dHidden) > 5e-2);
    }
}
