using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DrLlm.Engine.Formats;

namespace DrLlm.Engine.Kernels;

/// <summary>
/// Stored weights to f32, fast: the one decoder of each block format that the kernels use — a decode step's GEMV
/// dequantises a row chunk into L1 and takes its dot product, a prompt's GEMM dequantises panels of rows into tiles for
/// OpenBLAS, the embedding lookup dequantises one row. AVX2 versions of ggml's dequantize_row_* that give the same bits
/// as the scalar reference (<see cref="Numerics.DequantizeRow"/>: the same multiplications in the same order, no fused
/// multiply-adds; tests); machines without AVX2 run the reference.
/// </summary>
public static unsafe class Dequant
{
    /// <summary>Tests set this to run the portable reference on AVX2 machines.</summary>
    internal static bool ForcePortable;

    private static bool Simd => Avx2.IsSupported && !ForcePortable;

    /// <summary><paramref name="n"/> values (whole blocks) of <paramref name="type"/> at <paramref name="src"/> → f32.</summary>
    public static void Row(TensorDType type, byte* src, float* dst, int n)
    {
        if (!Simd) { Numerics.DequantizeRow(type, src, dst, n); return; }
        switch (type)
        {
            case TensorDType.Q8_0: Q8_0(src, dst, n); break;
            case TensorDType.Q5_0: Q5_0(src, dst, n); break;
            case TensorDType.Q4_K: Q4_K(src, dst, n); break;
            case TensorDType.Q6_K: Q6_K(src, dst, n); break;
            default: Numerics.DequantizeRow(type, src, dst, n); break; // floats: already vectorised there
        }
    }

    private static void Q8_0(byte* src, float* dst, int n)
    {
        for (int b = 0; b < n / 32; b++, src += Numerics.Q8BlockBytes, dst += 32)
        {
            var d = Vector256.Create(Numerics.HalfToSingle(*(ushort*)src));
            sbyte* q = (sbyte*)(src + 2);
            for (int c = 0; c < 32; c += 8)
                Avx.Store(dst + c, Avx.Multiply(d, Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(q + c))));
        }
    }

    private static readonly Vector256<uint> Lanes0 = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);

    /// <summary>
    /// A Q5_0 block's 32 values as integers (−16..15), 8 per vector in order: value j is the low nibble of qs[j] with
    /// bit j of qh as bit 4, value j+16 the high nibble with bit j+16, minus 16 (dequantize_row_q5_0). The one decoder of
    /// the layout: the dequantiser scales these by d, the GEMV's dot product multiplies them with x.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static void Q5_0Values(byte* block, out Vector256<int> v0, out Vector256<int> v1, out Vector256<int> v2, out Vector256<int> v3)
    {
        var low4 = Vector256.Create(0xF);
        var bit4 = Vector256.Create(0x10);
        var sixteen = Vector256.Create(16);
        var qh = Vector256.Create(*(uint*)(block + 2));
        byte* qs = block + 6;
        var q0 = Avx2.ConvertToVector256Int32(qs);
        var q1 = Avx2.ConvertToVector256Int32(qs + 8);
        Vector256<int> High(uint first) =>
            Avx2.And(Avx2.ShiftLeftLogical(Avx2.ShiftRightLogicalVariable(qh, Avx2.Add(Lanes0, Vector256.Create(first))).AsInt32(), 4), bit4);
        v0 = Avx2.Subtract(Avx2.Or(Avx2.And(q0, low4), High(0)), sixteen);
        v1 = Avx2.Subtract(Avx2.Or(Avx2.And(q1, low4), High(8)), sixteen);
        v2 = Avx2.Subtract(Avx2.Or(Avx2.ShiftRightLogical(q0, 4), High(16)), sixteen);
        v3 = Avx2.Subtract(Avx2.Or(Avx2.ShiftRightLogical(q1, 4), High(24)), sixteen);
    }

    private static void Q5_0(byte* src, float* dst, int n)
    {
        for (int b = 0; b < n / 32; b++, src += 22, dst += 32)
        {
            var d = Vector256.Create(Numerics.HalfToSingle(*(ushort*)src));
            Q5_0Values(src, out var v0, out var v1, out var v2, out var v3);
            Avx.Store(dst, Avx.Multiply(Avx.ConvertToVector256Single(v0), d));
            Avx.Store(dst + 8, Avx.Multiply(Avx.ConvertToVector256Single(v1), d));
            Avx.Store(dst + 16, Avx.Multiply(Avx.ConvertToVector256Single(v2), d));
            Avx.Store(dst + 24, Avx.Multiply(Avx.ConvertToVector256Single(v3), d));
        }
    }

    private static void Q4_K(byte* src, float* dst, int n)
    {
        var low4 = Vector256.Create(0xF);
        for (int b = 0; b < n / Numerics.KBlockSize; b++, src += 144)
        {
            float d = Numerics.HalfToSingle(*(ushort*)src), min = Numerics.HalfToSingle(*(ushort*)(src + 2));
            byte* scales = src + 4, q = src + 16;
            for (int s = 0; s < 8; s += 2, q += 32, dst += 64)
            {
                Numerics.ScaleMinK4(s, scales, out int sc1, out int m1);
                Numerics.ScaleMinK4(s + 1, scales, out int sc2, out int m2);
                Vector256<float> d1 = Vector256.Create(d * sc1), mm1 = Vector256.Create(min * m1);
                Vector256<float> d2 = Vector256.Create(d * sc2), mm2 = Vector256.Create(min * m2);
                for (int c = 0; c < 32; c += 8)
                {
                    var v = Avx2.ConvertToVector256Int32(q + c);
                    Avx.Store(dst + c, Avx.Subtract(Avx.Multiply(d1, Avx.ConvertToVector256Single(Avx2.And(v, low4))), mm1));
                    Avx.Store(dst + 32 + c, Avx.Subtract(Avx.Multiply(d2, Avx.ConvertToVector256Single(Avx2.ShiftRightLogical(v, 4))), mm2));
                }
            }
        }
    }

    private static void Q6_K(byte* src, float* dst, int n)
    {
        var low4 = Vector256.Create(0xF);
        var three = Vector256.Create(3);
        var off = Vector256.Create(32);
        for (int b = 0; b < n / Numerics.KBlockSize; b++, src += 210)
        {
            float d = Numerics.HalfToSingle(*(ushort*)(src + 208));
            byte* ql = src, qh = src + 128;
            sbyte* sc = (sbyte*)(src + 192);
            for (int half = 0; half < 2; half++, dst += 128, ql += 64, qh += 32, sc += 8)
                for (int c = 0; c < 32; c += 8)
                {
                    int s = c / 16;
                    var a = Avx2.ConvertToVector256Int32(ql + c);
                    var a2 = Avx2.ConvertToVector256Int32(ql + 32 + c);
                    var h = Avx2.ConvertToVector256Int32(qh + c);
                    var q1 = Avx2.Subtract(Avx2.Or(Avx2.And(a, low4), Avx2.ShiftLeftLogical(Avx2.And(h, three), 4)), off);
                    var q2 = Avx2.Subtract(Avx2.Or(Avx2.And(a2, low4), Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(h, 2), three), 4)), off);
                    var q3 = Avx2.Subtract(Avx2.Or(Avx2.ShiftRightLogical(a, 4), Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(h, 4), three), 4)), off);
                    var q4 = Avx2.Subtract(Avx2.Or(Avx2.ShiftRightLogical(a2, 4), Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(h, 6), three), 4)), off);
                    Avx.Store(dst + c, Avx.Multiply(Vector256.Create(d * sc[s]), Avx.ConvertToVector256Single(q1)));
                    Avx.Store(dst + 32 + c, Avx.Multiply(Vector256.Create(d * sc[s + 2]), Avx.ConvertToVector256Single(q2)));
                    Avx.Store(dst + 64 + c, Avx.Multiply(Vector256.Create(d * sc[s + 4]), Avx.ConvertToVector256Single(q3)));
                    Avx.Store(dst + 96 + c, Avx.Multiply(Vector256.Create(d * sc[s + 6]), Avx.ConvertToVector256Single(q4)));
                }
        }
    }
}
