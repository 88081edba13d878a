using DrLlm.Engine.Kernels;
using DrLlm.Pretrain.Model;

namespace DrLlm.Pretrain.Training;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter; llm.c adamw_update) over the flat parameter buffer: first and second moments in two
/// buffers with the parameters' layout. Decoupled weight decay only on matrices (<see cref="ParameterTensor.IsMatrix"/>).
/// </summary>
public sealed unsafe class AdamW : IDisposable
{
    public ParameterLayout Layout { get; }
    public NativeBuffer M { get; }
    public NativeBuffer V { get; }
    /// <summary>Updates taken so far (t of the bias correction).</summary>
    public long StepCount { get; set; }

    public AdamW(ParameterLayout layout)
    {
        Layout = layout;
        M = new NativeBuffer(layout.Count);
        V = new NativeBuffer(layout.Count);
        new Span<float>(M.Ptr, checked((int)layout.Count)).Clear();
        new Span<float>(V.Ptr, checked((int)layout.Count)).Clear();
    }

    /// <summary>
    /// m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= lr·(m̂/(√v̂ + eps) + wd·p) with m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ).
    /// </summary>
    public void Update(float* param, float* grad, float lr, float beta1, float beta2, float eps, float weightDecay)
    {
        StepCount++;
        float c1 = (float)(1 - Math.Pow(beta1, StepCount)), c2 = (float)(1 - Math.Pow(beta2, StepCount));
        foreach (var t in Layout.Tensors)
        {
            float wd = t.IsMatrix ? weightDecay : 0f;
            float* p = param + t.Offset, g = grad + t.Offset, m = M.Ptr + t.Offset, v = V.Ptr + t.Offset;
            for (long i = 0; i < t.Count; i++)
            {
                float gi = g[i];
                float mi = m[i] = beta1 * m[i] + (1 - beta1) * gi;
                float vi = v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
                p[i] -= lr * (mi / c1 / (MathF.Sqrt(vi / c2) + eps) + wd * p[i]);
            }
        }
    }

    /// <summary>
    /// Global L2 norm of the gradient (summed in double, in a fixed order, so a rerun gives the same bits), and, when it
    /// exceeds <paramref name="maxNorm"/> &gt; 0, scales every gradient by maxNorm/norm (GPT-2/3 practice). Returns the
    /// norm before clipping.
    /// </summary>
    public static double ClipGradients(float* grad, long count, float maxNorm)
    {
        double sum = 0;
        for (long i = 0; i < count; i++) sum += (double)grad[i] * grad[i];
        double norm = Math.Sqrt(sum);
        if (maxNorm > 0 && norm > maxNorm)
        {
            float s = (float)(maxNorm / (norm + 1e-6));
            for (long i = 0; i < count; i++) grad[i] *= s;
        }
        return norm;
    }

    public void Dispose()
    {
        M.Dispose();
        V.Dispose();
    }
}
