namespace DrLlm.Routing.Routers;

/// <summary>
/// Focal loss with class weights (METHOD.md "Routers"; Lin et al. 2017, Cui et al. 2019):
/// FL(z, y) = −α_y (1 − p_y)^γ log p_y with p = softmax(z), γ = 2, and α from the effective number of samples.
/// Computed in double: the loss is tiny next to the router's matmuls and the finite-difference checks need it.
/// </summary>
public sealed class FocalLoss
{
    public const double DefaultGamma = 2.0;
    public const double DefaultBeta = 0.999;

    public FocalLoss(IReadOnlyList<double> classWeights, double gamma = DefaultGamma)
    {
        if (classWeights.Count != Router.Classes) throw new ArgumentException($"focal loss needs {Router.Classes} class weights, got {classWeights.Count}");
        if (gamma < 0) throw new ArgumentException($"focal loss γ must be ≥ 0, got {gamma}");
        ClassWeights = classWeights.ToArray();
        Gamma = gamma;
    }

    public double[] ClassWeights { get; }
    public double Gamma { get; }

    /// <summary>
    /// α_c ∝ (1 − β) / (1 − β^{n_c}) (Cui et al., "Class-Balanced Loss Based on Effective Number of Samples"),
    /// normalised so the weights of the classes present sum to the number of classes (3), as Cui et al. do, so the
    /// loss keeps the scale of an unweighted one. A class with no training labels (n_c = 0, where the formula divides
    /// by zero) gets weight 0: no training term uses it, and it must not take a share of the normalisation.
    /// </summary>
    public static double[] EffectiveNumberWeights(IReadOnlyList<long> counts, double beta = DefaultBeta)
    {
        if (counts.Count != Router.Classes) throw new ArgumentException($"need {Router.Classes} class counts, got {counts.Count}");
        if (beta is <= 0 or >= 1) throw new ArgumentException($"effective-number β must be in (0, 1), got {beta}");
        var w = new double[Router.Classes];
        for (int c = 0; c < w.Length; c++)
            w[c] = counts[c] <= 0 ? 0 : (1 - beta) / (1 - Math.Pow(beta, counts[c]));
        double sum = w.Sum();
        if (sum == 0) throw new ArgumentException("no training labels: every class count is 0");
        for (int c = 0; c < w.Length; c++) w[c] *= Router.Classes / sum;
        return w;
    }

    /// <summary>Loss for logits [3] and target class; writes dLoss/dlogits into <paramref name="dLogits"/> (scaled by <paramref name="scale"/>).</summary>
    public double ForwardBackward(ReadOnlySpan<float> logits, int target, Span<float> dLogits, double scale = 1.0)
    {
        if ((uint)target >= Router.Classes) throw new ArgumentException($"router label {target} is not 0 (skip), 1 (execute) or 2 (repeat)");
        Span<double> p = stackalloc double[Router.Classes];
        Softmax(logits, p);
        double pt = Math.Max(p[target], 1e-300), alpha = ClassWeights[target], g = Gamma;
        double oneMinus = Math.Max(1 - pt, 0), logPt = Math.Log(pt);
        double loss = -alpha * Math.Pow(oneMinus, g) * logPt;
        // dL/dp_t = −α[(1−p)^γ / p − γ (1−p)^{γ−1} log p]; dp_t/dz_j = p_t(δ_jt − p_j).
        double powM1 = g == 0 ? 0 : g * (oneMinus == 0 ? (g == 1 ? 1 : 0) : Math.Pow(oneMinus, g - 1));
        double dLdPtTimesPt = -alpha * (Math.Pow(oneMinus, g) - powM1 * pt * logPt);
        for (int j = 0; j < Router.Classes; j++)
            dLogits[j] = (float)(scale * dLdPtTimesPt * ((j == target ? 1 : 0) - p[j]));
        return loss;
    }

    /// <summary>The loss alone (for validation and finite differences).</summary>
    public double Forward(ReadOnlySpan<float> logits, int target)
    {
        Span<float> unused = stackalloc float[Router.Classes];
        return ForwardBackward(logits, target, unused);
    }

    private static void Softmax(ReadOnlySpan<float> z, Span<double> p)
    {
        double max = double.NegativeInfinity;
        for (int j = 0; j < Router.Classes; j++) max = Math.Max(max, z[j]);
        double sum = 0;
        for (int j = 0; j < Router.Classes; j++) sum += p[j] = Math.Exp(z[j] - max);
        for (int j = 0; j < Router.Classes; j++) p[j] /= sum;
    }
}
