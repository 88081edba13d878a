using DrLlm.Engine.Kernels;

namespace DrLlm.Pretrain.Model;

/// <summary>
/// The trainer's layers, one <c>*Forward</c>/<c>*Backward</c> pair each over flat row-major float buffers, as in
/// karpathy/llm.c <c>train_gpt2.c</c>. Conventions (llm.c's): a backward pass ADDS into the gradients of its inputs and
/// parameters (+=), so the caller zeroes gradient buffers once and residual branches sum for free. Shapes use
/// N = rows (batch·time), D = model width, F = MLP width, H/KV = query/key-value heads, hd = head width. Products run
/// on the model's <see cref="WorkerPool"/> (OpenBLAS itself is single-threaded: <see cref="Blas"/>).
/// </summary>
public static unsafe partial class Layers
{
    /// <summary>y[N, outDim] = x[N, inDim] · w[outDim, inDim]ᵀ (PyTorch nn.Linear without bias; w stored [out, in]).</summary>
    public static void LinearForward(WorkerPool pool, float* y, float* x, float* w, int n, int inDim, int outDim) =>
        Blas.Gemm(pool, false, true, n, outDim, inDim, 1f, x, inDim, w, inDim, 0f, y, outDim);

    /// <summary>
    /// dx[N, inDim] += dy[N, outDim] · w[outDim, inDim]; dw[outDim, inDim] += dy[N, outDim]ᵀ · x[N, inDim].
    /// Two GEMMs: the backward of Y = X·Wᵀ (llm.c matmul_backward).
    /// </summary>
    public static void LinearBackward(WorkerPool pool, float* dx, float* dw, float* dy, float* x, float* w, int n, int inDim, int outDim)
    {
        Blas.Gemm(pool, false, false, n, inDim, outDim, 1f, dy, outDim, w, inDim, 1f, dx, inDim);
        Blas.Gemm(pool, true, false, outDim, inDim, n, 1f, dy, outDim, x, inDim, 1f, dw, inDim);
    }

    /// <summary>x[N, D] = table[tokens[i], :] (token embedding lookup).</summary>
    public static void EmbeddingForward(float* x, float* table, ReadOnlySpan<int> tokens, int d)
    {
        for (int i = 0; i < tokens.Length; i++)
            Buffer.MemoryCopy(table + (long)tokens[i] * d, x + (long)i * d, d * 4L, d * 4L);
    }

    /// <summary>dtable[tokens[i], :] += dx[i, :]. Sequential: two rows may name the same token.</summary>
    public static void EmbeddingBackward(float* dtable, float* dx, ReadOnlySpan<int> tokens, int d)
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            var row = new Span<float>(dtable + (long)tokens[i] * d, d);
            System.Numerics.Tensors.TensorPrimitives.Add(row, new ReadOnlySpan<float>(dx + (long)i * d, d), row);
        }
    }
}
