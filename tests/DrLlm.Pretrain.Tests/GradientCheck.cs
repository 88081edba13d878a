namespace DrLlm.Pretrain.Tests;

/// <summary>
/// Central differences in float against an analytic gradient. The loss is accumulated in double, so with a step of
/// 1e-2 on O(1) values the finite difference is good to ~1e-4; the tolerance (absolute 2e-3 plus 2% relative) passes a
/// right gradient and fails a wrong one: dropping a term of any backward makes these tests fail (checked by mutation
/// while writing them: RMSNorm's mean term, SwiGLU's σ' term, rope's sign, softmax's row-sum, a GQA head index).
/// </summary>
public static class GradientCheck
{
    public static void Compare(string what, float[] param, ReadOnlySpan<float> analytic, Func<double> loss,
        IEnumerable<int>? indices = null, float eps = 1e-2f, double atol = 2e-3, double rtol = 2e-2)
    {
        var failures = new List<string>();
        int checkedCount = 0;
        foreach (int i in indices ?? Enumerable.Range(0, param.Length))
        {
            float saved = param[i];
            param[i] = saved + eps;
            double plus = loss();
            param[i] = saved - eps;
            double minus = loss();
            param[i] = saved;
            double fd = (plus - minus) / (2.0 * eps), an = analytic[i];
            if (Math.Abs(fd - an) > atol + rtol * Math.Max(Math.Abs(fd), Math.Abs(an)))
                failures.Add($"[{i}] analytic {an:G6} vs finite difference {fd:G6}");
            checkedCount++;
        }
        Assert.True(checkedCount > 0, $"{what}: no entries checked");
        Assert.True(failures.Count == 0, $"{what}: {failures.Count}/{checkedCount} gradient entries differ: {string.Join("; ", failures.Take(6))}");
    }

    public static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var r = new float[n];
        for (int i = 0; i < n; i++) r[i] = scale * (float)(rng.NextDouble() * 2 - 1);
        return r;
    }

    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }
}
