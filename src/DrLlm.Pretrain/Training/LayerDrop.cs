namespace DrLlm.Pretrain.Training;

/// <summary>
/// Layer drop (stochastic depth, Huang et al. 2016; LayerDrop, Fan et al. 2019; LayerSkip, Elhoushi et al. 2024): in a
/// training step, a dropped block is the identity, forward and backward. Block l of L is dropped with probability
/// <c>rate · l / (L − 1)</c>: never the first block, the last with <paramref name="rate"/> (stochastic depth's and
/// LayerSkip's rise with depth, linear). One draw per optimiser step for the whole batch (stochastic depth's
/// per-mini-batch draw), from (seed, step, block) alone, so a resumed run draws the same masks.
/// </summary>
public static class LayerDrop
{
    /// <summary>The drop probability of block <paramref name="block"/> of <paramref name="layers"/>.</summary>
    public static double Rate(float rate, int block, int layers) => layers > 1 ? rate * (double)block / (layers - 1) : 0;

    /// <summary>Which blocks step <paramref name="step"/> (0-based) drops; all false when <paramref name="rate"/> is 0.</summary>
    public static bool[] Mask(int seed, int step, int layers, float rate)
    {
        var mask = new bool[layers];
        if (rate <= 0) return mask;
        for (int l = 0; l < layers; l++)
            mask[l] = Uniform(seed, step, l) < Rate(rate, l, layers);
        return mask;
    }

    /// <summary>A uniform draw in [0, 1) from SplitMix64 over (seed, step, block).</summary>
    private static double Uniform(int seed, int step, int block)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)step << 20 ^ (ulong)(uint)block;
        z = SplitMix(SplitMix(z) ^ 0x4C44524F50UL); // "LDROP"
        return (z >> 11) * (1.0 / (1UL << 53));
    }

    private static ulong SplitMix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
