using System.Numerics.Tensors;

namespace DrLlm.Engine.Kernels;

/// <summary>
/// The decoder's element-wise maths over flat row-major buffers (llm.c style: shapes in the comments, nothing hidden).
/// Everything but GEMM lives here, so a GPU backend replaces this file and <see cref="Blas"/> and nothing else.
/// </summary>
public static class Ops
{
    /// <summary>RMSNorm over each of the rows of x [rows, d]: y = x / sqrt(mean(x²) + eps) · w. y may alias x.</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> y, int d, float eps)
    {
        int rows = x.Length / d;
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * d, d);
            var yr = y.Slice(r * d, d);
            float ss = TensorPrimitives.Dot(xr, xr);
            float scale = 1f / MathF.Sqrt(ss / d + eps);
            TensorPrimitives.Multiply(xr, scale, yr);
            TensorPrimitives.Multiply(yr, w, yr);
        }
    }

    /// <summary>
    /// Rotary embedding in Hugging Face's layout ("rotate half"): for each head of width hd and i &lt; hd/2 the pair
    /// (x[i], x[i + hd/2]) rotates by angle pos·invFreq[i]. x is [n, heads·hd]; row t sits at position pos0 + t.
    /// cos/sin come from a table [maxPos, hd/2] built once (<see cref="RopeTable"/>).
    /// </summary>
    public static void Rope(Span<float> x, int n, int heads, int hd, int pos0, RopeTable table)
    {
        int half = hd / 2;
        for (int t = 0; t < n; t++)
        {
            var cos = table.Cos(pos0 + t);
            var sin = table.Sin(pos0 + t);
            for (int h = 0; h < heads; h++)
            {
                var a = x.Slice((t * heads + h) * hd, half);
                var b = x.Slice((t * heads + h) * hd + half, half);
                for (int i = 0; i < half; i++)
                {
                    float x0 = a[i], x1 = b[i];
                    a[i] = x0 * cos[i] - x1 * sin[i];
                    b[i] = x0 * sin[i] + x1 * cos[i];
                }
            }
        }
    }

    /// <summary>In-place softmax over x.</summary>
    public static void Softmax(Span<float> x)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        TensorPrimitives.Divide(x, TensorPrimitives.Sum(x), x);
    }

    /// <summary>SwiGLU: gate ← silu(gate) · up, element-wise (silu(g) = g·σ(g)).</summary>
    public static void SwiGlu(Span<float> gate, ReadOnlySpan<float> up)
    {
        // silu(g)·u = g·u / (1 + e^(-g)); computed in chunks to stay in registers/L1 without a scratch buffer.
        Span<float> s = stackalloc float[256];
        for (int o = 0; o < gate.Length; o += 256)
        {
            int len = Math.Min(256, gate.Length - o);
            var g = gate.Slice(o, len);
            var sl = s[..len];
            TensorPrimitives.Sigmoid(g, sl);
            TensorPrimitives.Multiply(g, sl, g);
            TensorPrimitives.Multiply(g, up.Slice(o, len), g);
        }
    }

    /// <summary>
    /// Causal attention for one query head over one step's KV cache, through BLAS on the calling thread.
    /// q [n, ldq] (this head's hd columns), k/v cache [pos0 + n, ldkv] (this KV head's hd columns), out [n, ldo].
    /// Query t at position pos0 + t sees keys 0..pos0 + t. scores is scratch of at least n·(pos0 + n) floats.
    /// S = q·kᵀ/√hd is one GEMM (GEMV for one token), the causal mask and softmax run per row, out = P·v is one more.
    /// </summary>
    public static unsafe void AttentionHead(float* q, int ldq, float* k, float* v, int ldkv, float* o, int ldo,
        int n, int pos0, int hd, float* scores)
    {
        int keys = pos0 + n;
        float scale = 1f / MathF.Sqrt(hd);
        Blas.Gemm(null, false, true, n, keys, hd, scale, q, ldq, k, ldkv, 0f, scores, keys);
        for (int t = 0; t < n; t++)
        {
            var row = new Span<float>(scores + (long)t * keys, keys);
            int visible = pos0 + t + 1;
            Softmax(row[..visible]);
            row[visible..].Clear();
        }
        Blas.Gemm(null, false, false, n, hd, keys, 1f, scores, keys, v, ldkv, 0f, o, ldo);
    }

    /// <summary>
    /// Attention of one new token (position pos) for one head: ~2·(pos+1)·hd flops, too little to pay a BLAS call's
    /// set-up twice per head. q [hd], k/v cache rows [pos + 1, ldkv] at this KV head's columns, o [hd],
    /// scores scratch [pos + 1].
    /// </summary>
    public static unsafe void AttentionOneToken(float* q, float* k, float* v, int ldkv, float* o, int pos, int hd, float* scores)
    {
        int keys = pos + 1;
        float scale = 1f / MathF.Sqrt(hd);
        var qs = new ReadOnlySpan<float>(q, hd);
        var sc = new Span<float>(scores, keys);
        for (int s = 0; s < keys; s++) sc[s] = TensorPrimitives.Dot(qs, new ReadOnlySpan<float>(k + (long)s * ldkv, hd)) * scale;
        Softmax(sc);
        var os = new Span<float>(o, hd);
        os.Clear();
        for (int s = 0; s < keys; s++) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(v + (long)s * ldkv, hd), sc[s], os, os);
    }

    /// <summary>Index of the largest value (first on ties), as greedy decoding needs.</summary>
    public static int Argmax(ReadOnlySpan<float> x) => TensorPrimitives.IndexOfMax(x);

    /// <summary>log softmax(x)[i], computed stably.</summary>
    public static float LogSoftmaxAt(ReadOnlySpan<float> x, int i)
    {
        float max = TensorPrimitives.Max(x);
        double sum = 0;
        foreach (var v in x) sum += Math.Exp(v - max);
        return (float)(x[i] - max - Math.Log(sum));
    }
}

/// <summary>cos/sin of pos·invFreq[i] for positions 0..capacity-1, grown on demand (never per token).</summary>
public sealed class RopeTable(float[] invFreq)
{
    private readonly int _half = invFreq.Length;
    private float[] _cos = [], _sin = [];
    private int _capacity;

    public void EnsureCapacity(int positions)
    {
        if (positions <= _capacity) return;
        int cap = Math.Max(positions, Math.Max(256, _capacity * 2));
        var cos = new float[cap * _half];
        var sin = new float[cap * _half];
        for (int p = 0; p < cap; p++)
            for (int i = 0; i < _half; i++)
            {
                // Angle in double then rounded: llama.cpp computes theta in f32 by repeated multiplication; the
                // difference is ~1e-7 relative, far inside the differential tests' tolerance.
                double a = (double)p * invFreq[i];
                cos[p * _half + i] = (float)Math.Cos(a);
                sin[p * _half + i] = (float)Math.Sin(a);
            }
        _cos = cos;
        _sin = sin;
        _capacity = cap;
    }

    public ReadOnlySpan<float> Cos(int pos) => _cos.AsSpan(pos * _half, _half);
    public ReadOnlySpan<float> Sin(int pos) => _sin.AsSpan(pos * _half, _half);
}
