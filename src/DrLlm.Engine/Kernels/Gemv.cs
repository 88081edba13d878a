using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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

    private static bool Wide => Vector512.IsHardwareAccelerated && Avx512F.IsSupported && !ForceVector256;

    // The most used block types also have dot products that decode each block in registers (no trip through L1):
    // each block's 32 products are summed, then scaled by the block's d (ggml's order).
    private static bool Fused => Avx2.IsSupported && Fma.IsSupported && !Dequant.ForcePortable;

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
            case TensorDType.Q8_0 when Fused:
                for (int r = r0; r < r1; r++) Store(y, r, beta, Wide ? DotQ8_0x512(w.Row(r), x, k) : DotQ8_0x256(w.Row(r), x, k));
                break;
            case TensorDType.Q5_0 when Fused:
                for (int r = r0; r < r1; r++) Store(y, r, beta, Wide ? DotQ5_0x512(w.Row(r), x, k) : DotQ5_0(w.Row(r), x, k));
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

    private struct ReadArgs { public float* Data; public long Count; public float* Sums; }

    /// <summary>
    /// The memory's read bandwidth as the decode step sees it: GB/s of summing a <paramref name="bytes"/> buffer on huge
    /// pages, split over <paramref name="pool"/> (median of 5 after a warm-up) — the ceiling of a weight stream.
    /// </summary>
    public static double MeasureReadGbPerSecond(WorkerPool pool, long bytes = 1L << 30)
    {
        long count = bytes / 4 / 64 * 64;
        var data = (float*)HugePages.Alloc(count * 4);
        var sums = stackalloc float[pool.Threads];
        try
        {
            for (long i = 0; i < count; i++) data[i] = i & 7;
            var a = new ReadArgs { Data = data, Count = count, Sums = sums };
            var times = new List<double>();
            for (int rep = 0; rep < 6; rep++)
            {
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                pool.Run(&ReadPart, (nint)(&a));
                if (rep > 0) times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
            times.Sort();
            return count * 4 / times[times.Count / 2] / 1e9;
        }
        finally { HugePages.Free(data); }
    }

    private static void ReadPart(nint state, int part, int parts)
    {
        ref var a = ref *(ReadArgs*)state;
        long per = a.Count / parts / 64 * 64, i0 = part * per, i1 = part == parts - 1 ? a.Count : i0 + per;
        var s0 = Vector256<float>.Zero;
        var s1 = s0; var s2 = s0; var s3 = s0;
        for (long i = i0; i < i1; i += 32)
        {
            s0 += Vector256.Load(a.Data + i);
            s1 += Vector256.Load(a.Data + i + 8);
            s2 += Vector256.Load(a.Data + i + 16);
            s3 += Vector256.Load(a.Data + i + 24);
        }
        a.Sums[part] = Vector256.Sum(s0 + s1 + s2 + s3);
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

    private static float DotQ8_0x256(byte* row, float* x, int k)
    {
        var acc0 = Vector256<float>.Zero;
        var acc1 = acc0;
        for (int b = 0; b < k / 32; b++, row += Numerics.Q8BlockBytes, x += 32)
        {
            sbyte* q = (sbyte*)(row + 2);
            var p0 = Avx.Multiply(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q)), Avx.LoadVector256(x));
            var p1 = Avx.Multiply(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q + 8)), Avx.LoadVector256(x + 8));
            p0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q + 16)), Avx.LoadVector256(x + 16), p0);
            p1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q + 24)), Avx.LoadVector256(x + 24), p1);
            var d = Vector256.Create(Numerics.HalfToSingle(*(ushort*)row));
            acc0 = Fma.MultiplyAdd(d, p0, acc0);
            acc1 = Fma.MultiplyAdd(d, p1, acc1);
        }
        return Vector256.Sum(acc0 + acc1);
    }

    private static float DotQ8_0x512(byte* row, float* x, int k)
    {
        var acc0 = Vector512<float>.Zero;
        var acc1 = acc0;
        int nb = k / 32, b = 0;
        for (; b + 2 <= nb; b += 2, row += 2 * Numerics.Q8BlockBytes, x += 64)
        {
            sbyte* q = (sbyte*)(row + 2), q2 = (sbyte*)(row + 2 + Numerics.Q8BlockBytes);
            var p0 = Avx512F.Multiply(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q))), Vector512.Load(x));
            p0 = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q + 16))), Vector512.Load(x + 16), p0);
            var p1 = Avx512F.Multiply(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q2))), Vector512.Load(x + 32));
            p1 = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q2 + 16))), Vector512.Load(x + 48), p1);
            acc0 = Avx512F.FusedMultiplyAdd(Vector512.Create(Numerics.HalfToSingle(*(ushort*)row)), p0, acc0);
            acc1 = Avx512F.FusedMultiplyAdd(Vector512.Create(Numerics.HalfToSingle(*(ushort*)(row + Numerics.Q8BlockBytes))), p1, acc1);
        }
        float t = Vector512.Sum(acc0 + acc1);
        return b < nb ? t + DotQ8_0x256(row, x, (nb - b) * 32) : t;
    }

    private static float DotQ5_0(byte* row, float* x, int k)
    {
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < k / 32; b++, row += 22, x += 32)
        {
            Dequant.Q5_0Values(row, out var v0, out var v1, out var v2, out var v3);
            var p0 = Avx.Multiply(Avx.ConvertToVector256Single(v0), Avx.LoadVector256(x));
            var p1 = Avx.Multiply(Avx.ConvertToVector256Single(v1), Avx.LoadVector256(x + 8));
            p0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(v2), Avx.LoadVector256(x + 16), p0);
            p1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(v3), Avx.LoadVector256(x + 24), p1);
            acc = Fma.MultiplyAdd(Vector256.Create(Numerics.HalfToSingle(*(ushort*)row)), Avx.Add(p0, p1), acc);
        }
        return Vector256.Sum(acc);
    }

    private static float DotQ5_0x512(byte* row, float* x, int k)
    {
        var low4 = Vector512.Create(0xF);
        var one = Vector512.Create(1);
        var sixteen = Vector512.Create(16);
        var lanes = Vector512.Create(0u, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var lanesHigh = lanes + Vector512.Create(16u);
        var acc = Vector512<float>.Zero;
        for (int b = 0; b < k / 32; b++, row += 22, x += 32)
        {
            var qh = Vector512.Create(*(uint*)(row + 2));
            var q = Avx512F.ConvertToVector512Int32(Vector128.Load(row + 6));
            var h0 = Avx512F.ShiftLeftLogical(Avx512F.And(Avx512F.ShiftRightLogicalVariable(qh, lanes).AsInt32(), one), 4);
            var h1 = Avx512F.ShiftLeftLogical(Avx512F.And(Avx512F.ShiftRightLogicalVariable(qh, lanesHigh).AsInt32(), one), 4);
            var v0 = Avx512F.Subtract(Avx512F.Or(Avx512F.And(q, low4), h0), sixteen);
            var v1 = Avx512F.Subtract(Avx512F.Or(Avx512F.ShiftRightLogical(q, 4), h1), sixteen);
            var p = Avx512F.Multiply(Avx512F.ConvertToVector512Single(v0), Vector512.Load(x));
            p = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(v1), Vector512.Load(x + 16), p);
            acc = Avx512F.FusedMultiplyAdd(Vector512.Create(Numerics.HalfToSingle(*(ushort*)row)), p, acc);
        }
        return Vector512.Sum(acc);
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
