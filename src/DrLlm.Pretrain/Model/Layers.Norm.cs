using System.Numerics.Tensors;

namespace DrLlm.Pretrain.Model;

public static unsafe partial class Layers
{
    /// <summary>
    /// RMSNorm (HF LlamaRMSNorm): y[N, D] = x · rstd · w with rstd[N] = 1/√(mean(x²) + eps), kept for the backward.
    /// The arithmetic is the inference engine's (<c>Ops.RmsNorm</c>), in the same order, so logits agree to rounding.
    /// </summary>
    public static void RmsNormForward(float* y, float* rstd, float* x, float* w, int n, int d, float eps)
    {
        var ws = new ReadOnlySpan<float>(w, d);
        for (int r = 0; r < n; r++)
        {
            var xr = new ReadOnlySpan<float>(x + (long)r * d, d);
            var yr = new Span<float>(y + (long)r * d, d);
            float s = 1f / MathF.Sqrt(TensorPrimitives.Dot(xr, xr) / d + eps);
            rstd[r] = s;
            TensorPrimitives.Multiply(xr, s, yr);
            TensorPrimitives.Multiply(yr, ws, yr);
        }
    }

    /// <summary>
    /// With x̂ = x·rstd and g = dy ⊙ w: dx += rstd · (g − x̂ · mean(g ⊙ x̂)); dw += Σ_rows dy ⊙ x̂.
    /// (∂rstd/∂x_j = −rstd³·x_j/D; the same derivation as llm.c's layernorm_backward without the mean term.)
    /// </summary>
    public static void RmsNormBackward(float* dx, float* dw, float* dy, float* x, float* w, float* rstd, int n, int d)
    {
        var ws = new ReadOnlySpan<float>(w, d);
        var dws = new Span<float>(dw, d);
        float[] scratch = new float[2 * d];
        var xhat = scratch.AsSpan(0, d);
        var g = scratch.AsSpan(d, d);
        for (int r = 0; r < n; r++)
        {
            var xr = new ReadOnlySpan<float>(x + (long)r * d, d);
            var dyr = new ReadOnlySpan<float>(dy + (long)r * d, d);
            var dxr = new Span<float>(dx + (long)r * d, d);
            float s = rstd[r];
            TensorPrimitives.Multiply(xr, s, xhat);
            TensorPrimitives.Multiply(dyr, ws, g);
            float mean = TensorPrimitives.Dot(g, xhat) / d;
            TensorPrimitives.MultiplyAdd(dyr, xhat, dws, dws);   // dw += dy ⊙ x̂
            TensorPrimitives.MultiplyAdd(xhat, -mean, g, g);     // g − x̂·mean
            TensorPrimitives.MultiplyAdd(g, s, dxr, dxr);        // dx += rstd·(…)
        }
    }
}
