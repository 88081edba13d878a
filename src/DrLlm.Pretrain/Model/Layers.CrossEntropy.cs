namespace DrLlm.Pretrain.Model;

public static unsafe partial class Layers
{
    /// <summary>
    /// Softmax cross-entropy with a loss mask. logits [N, V] → probs [N, V] (kept for the backward); returns
    /// Σ_i mask[i]·(−log p_i[target_i]) (a sum: the caller divides by the number of counted tokens). Rows with mask 0
    /// (prompt or padding targets) cost nothing and get no gradient. The log-sum-exp runs in double.
    /// </summary>
    public static double CrossEntropyForward(float* probs, float* logits, ReadOnlySpan<int> targets,
        ReadOnlySpan<float> mask, int v)
    {
        double total = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            var l = new ReadOnlySpan<float>(logits + (long)i * v, v);
            var p = new Span<float>(probs + (long)i * v, v);
            float max = System.Numerics.Tensors.TensorPrimitives.Max(l);
            double sum = 0;
            for (int j = 0; j < v; j++) sum += Math.Exp(l[j] - max);
            for (int j = 0; j < v; j++) p[j] = (float)(Math.Exp(l[j] - max) / sum);
            if (mask[i] != 0) total += mask[i] * (Math.Log(sum) + max - l[targets[i]]);
        }
        return total;
    }

    /// <summary>
    /// dlogits[N, V] += scale·mask[i]·(p_i − onehot(target_i)) with scale = 1/(counted tokens) of the mean loss
    /// (divided once more by the number of micro-batches under gradient accumulation).
    /// </summary>
    public static void CrossEntropyBackward(float* dlogits, float* probs, ReadOnlySpan<int> targets,
        ReadOnlySpan<float> mask, int v, float scale)
    {
        for (int i = 0; i < targets.Length; i++)
        {
            float m = mask[i] * scale;
            if (m == 0) continue;
            float* d = dlogits + (long)i * v, p = probs + (long)i * v;
            for (int j = 0; j < v; j++) d[j] += m * p[j];
            d[targets[i]] -= m;
        }
    }
}
