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
    /// dup += dh ⊙ silu(g); dgate += dh ⊙ up ⊙ σ(g)·(1 + g·(1 − σ(g))) (derivative of g·σ(g)).
    /// </summary>
    public static void SwiGluBackward(float* dgate, float* dup, float* dh, float* gate, float* up, long count)
    {
        for (long i = 0; i < count; i++)
        {
            float g = gate[i], sig = 1f / (1f + MathF.Exp(-g)), d = dh[i];
            dup[i] += d * g * sig;
            dgate[i] += d * up[i] * sig * (1f + g * (1f - sig));
        }
    }
}
