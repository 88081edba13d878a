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
    /// The tensors of a block <paramref name="skipBlocks"/> flags (layer drop: the block took no part in this step) are
    /// left as they are, parameters and both moments, no weight decay either: PyTorch's AdamW does the same for a
    /// parameter without a gradient. t stays one count for all tensors (PyTorch keeps one per parameter), so a block
    /// dropped at some steps gets slightly different bias corrections while t is small; past ~200 steps both are 1 to 1e-4.
    /// </summary>
    public void Update(float* param, float* grad, float lr, float beta1, float beta2, float eps, float weightDecay,
        bool[]? skipBlocks = null)
    {
        StepCount++;
        float c1 = (float)(1 - Math.Pow(beta1, StepCount)), c2 = (float)(1 - Math.Pow(beta2, StepCount));
        // Element-wise, so splitting the buffer over cores changes no result. Chunks of 64K floats per job.
        var jobs = Layout.Tensors.Where((_, i) => skipBlocks is null || Layout.BlockOf[i] < 0 || !skipBlocks[Layout.BlockOf[i]])
            .SelectMany(t => Enumerable.Range(0, (int)((t.Count + Chunk - 1) / Chunk))
            .Select(c => (Offset: t.Offset + (long)c * Chunk, Count: Math.Min(Chunk, t.Count - (long)c * Chunk), Decay: t.IsMatrix))).ToArray();
        float* mBase = M.Ptr, vBase = V.Ptr;
        Parallel.For(0, jobs.Length, j =>
        {
            var (offset, count, decay) = jobs[j];
            float wd = decay ? weightDecay : 0f;
            float* p = param + offset, g = grad + offset, m = mBase + offset, v = vBase + offset;
            for (long i = 0; i < count; i++)
            {
                float gi = g[i];
                float mi = m[i] = beta1 * m[i] + (1 - beta1) * gi;
                float vi = v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
                p[i] -= lr * (mi / c1 / (MathF.Sqrt(vi / c2) + eps) + wd * p[i]);
            }
        });
    }

    private const long Chunk = 1 << 16;

    /// <summary>
    /// Global L2 norm of the gradient (summed in double, in a fixed order, so a rerun gives the same bits), and, when it
    /// exceeds <paramref name="maxNorm"/> &gt; 0, scales every gradient by maxNorm/norm (GPT-2/3 practice). Returns the
    /// norm before clipping.
    /// </summary>
    public static double ClipGradients(float* grad, long count, float maxNorm)
    {
        // Partial sums per fixed chunk, added in chunk order: parallel, yet the same bits every run.
        int chunks = (int)((count + Chunk - 1) / Chunk);
        var partial = new double[chunks];
        Parallel.For(0, chunks, c =>
        {
            double s = 0;
            for (long i = c * Chunk, end = Math.Min(count, (c + 1) * Chunk); i < end; i++) s += (double)grad[i] * grad[i];
            partial[c] = s;
        });
        double norm = Math.Sqrt(partial.Sum());
        if (maxNorm > 0 && norm > maxNorm)
        {
            float s = (float)(maxNorm / (norm + 1e-6));
            for (long o = 0; o < count; o += Chunk)
            {
                var span = new Span<float>(grad + o, (int)Math.Min(Chunk, count - o));
                System.Numerics.Tensors.TensorPrimitives.Multiply(span, s, span);
            }
        }
        return norm;
    }

    public void Dispose()
    {
        M.Dispose();
        V.Dispose();
    }
}
