using System.Runtime.Intrinsics;
using DrLlm.Engine.Formats;

namespace DrLlm.Engine.Kernels;

/// <summary>
/// Rows of y = W·x (+ beta·y) for one token, W in its stored type: the decode step's whole cost, bound by how fast the
/// weights stream from memory. Each row is one dot product with four independent accumulators (AVX-512 where the CPU
/// has it, else AVX2), as ggml's vec_dot_f32 does: f32 and bf16 rows are read directly (bf16 widens by a shift); other
/// types are dequantised a chunk at a time into L1 (<see cref="Dequant"/>) and dotted from there, so every format has one
/// decoder. <see cref="Matmul"/> splits the rows over the worker pool.
/// </summary>
public static unsafe class Gemv
{
    /// <summary>Tests set this to exercise the AVX2 path on AVX-512 machines.</summary>
    internal static bool ForceVector256;

    // Values dequantised per step of a quantised row: whole blocks of every type, 4 KiB of L1.
    private const int Chunk = 1024;

    private static bool Wide => Vector512.IsHardwareAccelerated && !ForceVector256;

    internal static void Rows(in WeightMatrix w, float* x, float* y, int r0, int r1, float beta)
    {
        int k = w.Cols;
        switch (w.Type)
        {
            case TensorDType.F32:
                for (int r = r0; r < r1; r++) Store(y, r, beta, Dot((float*)w.Row(r), x, k));
                break;
            case TensorDType.BF16:
                for (int r = r0; r < r1; r++) Store(y, r, beta, Wide ? DotBf16x512((ushort*)w.Row(r), x, k) : DotBf16x256((ushort*)w.Row(r), x, k));
                break;
            default:
                float* scratch = stackalloc float[Chunk];
                for (int r = r0; r < r1; r++)
                {
                    byte* row = w.Row(r);
                    float t = 0f;
                    for (int i = 0; i < k; i += Chunk)
                    {
                        int n = Math.Min(Chunk, k - i);
                        Dequant.Row(w.Type, row + Numerics.ByteSize(w.Type, i), scratch, n);
                        t += Dot(scratch, x + i, n);
                    }
                    Store(y, r, beta, t);
                }
                break;
        }
    }

    private static void Store(float* y, int r, float beta, float t) => y[r] = beta == 0f ? t : beta * y[r] + t;

    private static float Dot(float* a, float* x, int k) => Wide ? Dot512(a, x, k) : Dot256(a, x, k);

    private static float Dot512(float* a, float* x, int k)
    {
        var s0 = Vector512<float>.Zero;
        var s1 = s0; var s2 = s0; var s3 = s0;
        int i = 0;
        for (; i + 64 <= k; i += 64)
        {
            s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(x + i), s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(x + i + 16), s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 32), Vector512.Load(x + i + 32), s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 48), Vector512.Load(x + i + 48), s3);
        }
        for (; i + 16 <= k; i += 16) s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(x + i), s0);
        float t = Vector512.Sum(s0 + s1 + s2 + s3);
        for (; i < k; i++) t += a[i] * x[i];
        return t;
    }

    private static float Dot256(float* a, float* x, int k)
    {
        var s0 = Vector256<float>.Zero;
        var s1 = s0; var s2 = s0; var s3 = s0;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(x + i), s0);
            s1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(x + i + 8), s1);
            s2 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 16), Vector256.Load(x + i + 16), s2);
            s3 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 24), Vector256.Load(x + i + 24), s3);
        }
        for (; i + 8 <= k; i += 8) s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(x + i), s0);
        float t = Vector256.Sum(s0 + s1 + s2 + s3);
        for (; i < k; i++) t += a[i] * x[i];
        return t;
    }

    // bf16 is the top half of an f32: widening each value to 32 bits and shifting it up 16 is the conversion.
    private static float DotBf16x512(ushort* a, float* x, int k)
    {
        var s0 = Vector512<float>.Zero;
        var s1 = s0; var s2 = s0; var s3 = s0;
        int i = 0;
        for (; i + 64 <= k; i += 64)
        {
            var (l0, h0) = Vector512.Widen(Vector512.Load(a + i));
            var (l1, h1) = Vector512.Widen(Vector512.Load(a + i + 32));
            s0 = Vector512.FusedMultiplyAdd((l0 << 16).AsSingle(), Vector512.Load(x + i), s0);
            s1 = Vector512.FusedMultiplyAdd((h0 << 16).AsSingle(), Vector512.Load(x + i + 16), s1);
            s2 = Vector512.FusedMultiplyAdd((l1 << 16).AsSingle(), Vector512.Load(x + i + 32), s2);
            s3 = Vector512.FusedMultiplyAdd((h1 << 16).AsSingle(), Vector512.Load(x + i + 48), s3);
        }
        float t = Vector512.Sum(s0 + s1 + s2 + s3);
        for (; i < k; i++) t += Numerics.BF16ToF32(a[i]) * x[i];
        return t;
    }

    private static float DotBf16x256(ushort* a, float* x, int k)
    {
        var s0 = Vector256<float>.Zero;
        var s1 = s0; var s2 = s0; var s3 = s0;
        int i = 0;
        for (; i + 32 <= k; i += 32)
        {
            var (l0, h0) = Vector256.Widen(Vector256.Load(a + i));
            var (l1, h1) = Vector256.Widen(Vector256.Load(a + i + 16));
            s0 = Vector256.FusedMultiplyAdd((l0 << 16).AsSingle(), Vector256.Load(x + i), s0);
            s1 = Vector256.FusedMultiplyAdd((h0 << 16).AsSingle(), Vector256.Load(x + i + 8), s1);
            s2 = Vector256.FusedMultiplyAdd((l1 << 16).AsSingle(), Vector256.Load(x + i + 16), s2);
            s3 = Vector256.FusedMultiplyAdd((h1 << 16).AsSingle(), Vector256.Load(x + i + 24), s3);
        }
        float t = Vector256.Sum(s0 + s1 + s2 + s3);
        for (; i < k; i++) t += Numerics.BF16ToF32(a[i]) * x[i];
        return t;
    }
}
