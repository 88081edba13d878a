using DrLlm.Engine.Kernels;

namespace DrLlm.Pretrain.Model;

public static unsafe partial class Layers
{
    /// <summary>
    /// Causal multi-head attention with grouped-query sharing (HF LlamaAttention, eager path; query head h reads KV head
    /// h / (H/KV)). q [B·T, H·hd], k and v [B·T, KV·hd] (after rope) → out [B·T, H·hd]; probs [B, H, T, T] keeps the
    /// softmax (zero above the diagonal) for the backward. Per (b, h): S = Q·Kᵀ/√hd and O = P·V are one GEMM each, as in
    /// the engine's <c>Ops.AttentionHead</c>, whose softmax this calls so the two agree bit for bit.
    /// </summary>
    public static void AttentionForward(WorkerPool pool, float* output, float* probs, float* q, float* k, float* v,
        int b, int t, int heads, int kvHeads, int hd)
    {
        int qDim = heads * hd, kvDim = kvHeads * hd, group = heads / kvHeads;
        float scale = 1f / MathF.Sqrt(hd);
        PerHead(pool, b * heads, job =>
        {
            int bi = job / heads, h = job % heads;
            {
                float* qh = q + (long)bi * t * qDim + h * hd;
                float* kh = k + (long)bi * t * kvDim + h / group * hd;
                float* vh = v + (long)bi * t * kvDim + h / group * hd;
                float* p = probs + ((long)bi * heads + h) * t * t;
                Blas.Gemm(null, false, true, t, t, hd, scale, qh, qDim, kh, kvDim, 0f, p, t);
                for (int i = 0; i < t; i++)
                {
                    var row = new Span<float>(p + (long)i * t, t);
                    Ops.Softmax(row[..(i + 1)]);
                    row[(i + 1)..].Clear();
                }
                Blas.Gemm(null, false, false, t, hd, t, 1f, p, t, vh, kvDim, 0f, output + (long)bi * t * qDim + h * hd, qDim);
            }
        });
    }

    /// <summary>
    /// Backward of <see cref="AttentionForward"/> (dq, dk, dv accumulate; dScores is scratch [T, T]):
    /// dP = dO·Vᵀ; dV += Pᵀ·dO; dS = P ⊙ (dP − rowsum(P ⊙ dP)) (softmax backward, llm.c attention_backward);
    /// dQ += dS·K/√hd; dK += dSᵀ·Q/√hd. Entries above the diagonal have P = 0, so they drop out of dS by themselves.
    /// Jobs are (b, KV head), each running its query heads in order, so no two jobs add into the same dK/dV rows and
    /// the sums run in the same order every time. dScores is scratch [B·KV, T, T].
    /// </summary>
    public static void AttentionBackward(WorkerPool pool, float* dq, float* dk, float* dv, float* dScoresAll, float* dOut, float* probs,
        float* q, float* k, float* v, int b, int t, int heads, int kvHeads, int hd)
    {
        int qDim = heads * hd, kvDim = kvHeads * hd, group = heads / kvHeads;
        float scale = 1f / MathF.Sqrt(hd);
        PerHead(pool, b * kvHeads, job =>
        {
            int bi = job / kvHeads, g = job % kvHeads;
            float* dScores = dScoresAll + (long)job * t * t;
            for (int h = g * group; h < (g + 1) * group; h++)
            {
                long qOff = (long)bi * t * qDim + h * hd, kvOff = (long)bi * t * kvDim + g * hd;
                float* p = probs + ((long)bi * heads + h) * t * t;
                Blas.Gemm(null, false, true, t, t, hd, 1f, dOut + qOff, qDim, v + kvOff, kvDim, 0f, dScores, t);
                Blas.Gemm(null, true, false, t, hd, t, 1f, p, t, dOut + qOff, qDim, 1f, dv + kvOff, kvDim);
                for (int i = 0; i < t; i++)
                {
                    float* pr = p + (long)i * t, dr = dScores + (long)i * t;
                    var prs = new ReadOnlySpan<float>(pr, i + 1);
                    var drs = new Span<float>(dr, i + 1);
                    float dot = System.Numerics.Tensors.TensorPrimitives.Dot(prs, drs);
                    System.Numerics.Tensors.TensorPrimitives.Subtract(drs, dot, drs);
                    System.Numerics.Tensors.TensorPrimitives.Multiply(drs, prs, drs);
                    new Span<float>(dr + i + 1, t - i - 1).Clear();
                }
                Blas.Gemm(null, false, false, t, hd, t, scale, dScores, t, k + kvOff, kvDim, 1f, dq + qOff, qDim);
                Blas.Gemm(null, true, false, t, hd, t, scale, dScores, t, q + qOff, qDim, 1f, dk + kvOff, kvDim);
            }
        });
    }

    /// <summary>
    /// Runs independent per-head jobs on the pool's number of cores, each job's GEMMs on its own thread: a T×T×hd
    /// product is too small to split well (measured ~12 GFLOP/s run one at a time on 2 threads). A job's result does
    /// not depend on which thread runs it.
    /// </summary>
    private static void PerHead(WorkerPool pool, int jobs, Action<int> job)
    {
        if (pool.Threads <= 1 || jobs == 1)
        {
            for (int i = 0; i < jobs; i++) job(i);
            return;
        }
        Parallel.For(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = pool.Threads }, job);
    }
}
