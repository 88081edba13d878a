using System.Numerics.Tensors;

namespace DrLlm.Pretrain.Model;

public static unsafe partial class Layers
{
    /// <summary>
    /// SwiGLU (HF LlamaMLP's act_fn(gate)·up with SiLU): h[N, F] = silu(gate) ⊙ up, silu(g) = g·σ(g). The engine's
    /// operation order (<c>Ops.SwiGlu</c>), so inference and training round alike.
    /// </summary>
    public static void SwiGluForward(float* h, float* gate, float* up, long count)
    {
        Span<float> s = stackalloc float[256];
        for (long o = 0; o < count; o += 256)
        {
            int len = (int)Math.Min(256, count - o);
            var g = new ReadOnlySpan<float>(gate + o, len);
            var hs = new Span<float>(h + o, len);
            TensorPrimitives.Sigmoid(g, s[..len]);
            TensorPrimitives.Multiply(g, s[..len], hs);
            TensorPrimitives.Multiply(hs, new ReadOnlySpan<float>(up + o, len), hs);
        }
    }

    /// <summary>
    /// dup += dh ⊙ silu(g); dgate += dh ⊙ up ⊙ σ(g)·(1 + g·(1 − σ(g))) (derivative of g·σ(g)). SIMD over chunks, as the
    /// forward.
    /// </summary>
    public static void SwiGluBackward(float* dgate, float* dup, float* dh, float* gate, float* up, long count)
    {
        Span<float> s = stackalloc float[256], u = stackalloc float[256];
        for (long o = 0; o < count; o += 256)
        {
            int len = (int)Math.Min(256, count - o);
            var g = new ReadOnlySpan<float>(gate + o, len);
            var d = new ReadOnlySpan<float>(dh + o, len);
            var sig = s[..len];
            var tmp = u[..len];
            TensorPrimitives.Sigmoid(g, sig);
            TensorPrimitives.Multiply(g, sig, tmp);                                   // silu(g)
            TensorPrimitives.MultiplyAdd(d, tmp, new ReadOnlySpan<float>(dup + o, len), new Span<float>(dup + o, len));
            TensorPrimitives.Subtract(g, tmp, tmp);                                   // g·(1 − σ)
            TensorPrimitives.Add(tmp, 1f, tmp);
            TensorPrimitives.Multiply(tmp, sig, tmp);                                 // σ·(1 + g·(1 − σ))
            TensorPrimitives.Multiply(tmp, new ReadOnlySpan<float>(up + o, len), tmp);
            TensorPrimitives.MultiplyAdd(d, tmp, new ReadOnlySpan<float>(dgate + o, len), new Span<float>(dgate + o, len));
        }
    }
}
