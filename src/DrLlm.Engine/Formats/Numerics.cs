using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace DrLlm.Engine.Formats;

/// <summary>
/// Element conversions between the on-disk dtypes and f32. Every loader and writer goes through here, so a
/// rounding rule lives in exactly one place. All layouts are little-endian (GGUF v3 default, safetensors spec).
/// </summary>
public static class Numerics
{
    /// <summary>Q8_0 block: one f16 scale then 32 int8 values (ggml-common.h, block_q8_0).</summary>
    public const int Q8BlockSize = 32;
    public const int Q8BlockBytes = 2 + Q8BlockSize;
    /// <summary>K-quant super-block: 256 values (ggml-common.h, QK_K).</summary>
    public const int KBlockSize = 256;

    /// <summary>Values per block of <paramref name="dtype"/> (1 for the float types): a row's length must be a multiple.</summary>
    public static int BlockSize(TensorDType dtype) => dtype switch
    {
        TensorDType.F32 or TensorDType.F16 or TensorDType.BF16 => 1,
        TensorDType.Q8_0 or TensorDType.Q5_0 => 32,
        TensorDType.Q4_K or TensorDType.Q6_K => KBlockSize,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Bytes of one block of <paramref name="dtype"/> (ggml-common.h's block structs).</summary>
    public static int BlockBytes(TensorDType dtype) => dtype switch
    {
        TensorDType.F32 => 4,
        TensorDType.F16 or TensorDType.BF16 => 2,
        TensorDType.Q8_0 => Q8BlockBytes,          // f16 d, int8 qs[32]
        TensorDType.Q5_0 => 22,                    // f16 d, u8 qh[4], u8 qs[16]
        TensorDType.Q4_K => 144,                   // f16 d, f16 dmin, u8 scales[12], u8 qs[128]
        TensorDType.Q6_K => 210,                   // u8 ql[128], u8 qh[64], int8 scales[16], f16 d
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Bytes taken by <paramref name="count"/> elements of <paramref name="dtype"/> (count a multiple of its block).</summary>
    public static long ByteSize(TensorDType dtype, long count) => count / BlockSize(dtype) * BlockBytes(dtype);

    /// <summary>Converts <paramref name="destination"/>.Length elements of <paramref name="dtype"/> at <paramref name="source"/> to f32.</summary>
    public static unsafe void ToF32(TensorDType dtype, byte* source, Span<float> destination)
    {
        // In chunks of whole blocks whose byte count fits an int (a large quantised tensor's may not).
        int block = BlockSize(dtype), chunk = block * (1 << 16);
        fixed (float* dst = destination)
            for (long i = 0; i < destination.Length; i += chunk)
            {
                int n = (int)Math.Min(chunk, destination.Length - i);
                DequantizeRow(dtype, source + ByteSize(dtype, i), dst + i, n);
            }
    }

    /// <summary>
    /// Converts <paramref name="n"/> values of <paramref name="dtype"/> (whole blocks) at <paramref name="source"/> to f32 —
    /// the reference conversions of ggml-quants.c (dequantize_row_*), value for value. The engine's kernels compute on
    /// the stored bytes directly and are checked against these.
    /// </summary>
    public static unsafe void DequantizeRow(TensorDType dtype, byte* source, float* destination, int n)
    {
        if (n % BlockSize(dtype) != 0)
            throw new ArgumentException($"{dtype}: {n} values are not whole blocks of {BlockSize(dtype)}");
        switch (dtype)
        {
            case TensorDType.F32: Buffer.MemoryCopy(source, destination, n * 4L, n * 4L); break;
            case TensorDType.F16: F16ToF32(new ReadOnlySpan<Half>(source, n), new Span<float>(destination, n)); break;
            case TensorDType.BF16: BF16ToF32(new ReadOnlySpan<ushort>(source, n), new Span<float>(destination, n)); break;
            case TensorDType.Q8_0:
                for (int b = 0; b < n / 32; b++, source += Q8BlockBytes, destination += 32)
                {
                    float d = HalfToSingle(*(ushort*)source);
                    sbyte* q = (sbyte*)(source + 2);
                    for (int j = 0; j < 32; j++) destination[j] = d * q[j];
                }
                break;
            case TensorDType.Q5_0:
                for (int b = 0; b < n / 32; b++, source += 22, destination += 32)
                {
                    float d = HalfToSingle(*(ushort*)source);
                    uint qh = *(uint*)(source + 2);
                    byte* qs = source + 6;
                    for (int j = 0; j < 16; j++)
                    {
                        int x0 = ((qs[j] & 0x0F) | (int)(((qh >> j) << 4) & 0x10)) - 16;
                        int x1 = ((qs[j] >> 4) | (int)((qh >> (j + 12)) & 0x10)) - 16;
                        destination[j] = x0 * d;
                        destination[j + 16] = x1 * d;
                    }
                }
                break;
            case TensorDType.Q4_K:
                for (int b = 0; b < n / KBlockSize; b++, source += 144)
                {
                    float d = HalfToSingle(*(ushort*)source), min = HalfToSingle(*(ushort*)(source + 2));
                    byte* scales = source + 4, q = source + 16;
                    for (int j = 0, s = 0; j < KBlockSize; j += 64, q += 32, s += 2)
                    {
                        ScaleMinK4(s, scales, out int sc1, out int m1);
                        ScaleMinK4(s + 1, scales, out int sc2, out int m2);
                        float d1 = d * sc1, mm1 = min * m1, d2 = d * sc2, mm2 = min * m2;
                        for (int l = 0; l < 32; l++) *destination++ = d1 * (q[l] & 0xF) - mm1;
                        for (int l = 0; l < 32; l++) *destination++ = d2 * (q[l] >> 4) - mm2;
                    }
                }
                break;
            case TensorDType.Q6_K:
                for (int b = 0; b < n / KBlockSize; b++, source += 210)
                {
                    float d = HalfToSingle(*(ushort*)(source + 208));
                    byte* ql = source, qh = source + 128;
                    sbyte* sc = (sbyte*)(source + 192);
                    for (int half = 0; half < 2; half++, destination += 128, ql += 64, qh += 32, sc += 8)
                        for (int l = 0; l < 32; l++)
                        {
                            int s = l / 16;
                            int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                            int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                            int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                            int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                            destination[l] = d * sc[s] * q1;
                            destination[l + 32] = d * sc[s + 2] * q2;
                            destination[l + 64] = d * sc[s + 4] * q3;
                            destination[l + 96] = d * sc[s + 6] * q4;
                        }
                }
                break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no f32 conversion");
        }
    }

    /// <summary>Scale and min number <paramref name="j"/> (0..7) of a Q4_K block, 6 bits each (ggml-quants.c, get_scale_min_k4).</summary>
    public static unsafe void ScaleMinK4(int j, byte* q, out int scale, out int min)
    {
        if (j < 4) { scale = q[j] & 63; min = q[j + 4] & 63; }
        else
        {
            scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }

    // Every f16 as f32, as ggml's table ggml_table_f32_f16: a block's scale costs one load.
    private static readonly float[] HalfTable = BuildHalfTable();

    private static float[] BuildHalfTable()
    {
        var t = new float[65536];
        for (int i = 0; i < t.Length; i++) t[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return t;
    }

    /// <summary>The f16 with bits <paramref name="bits"/> as f32 (exact).</summary>
    public static float HalfToSingle(ushort bits) => HalfTable[bits];

    /// <summary>IEEE half to f32; vectorised by TensorPrimitives (exact: every f16 is an f32).</summary>
    public static void F16ToF32(ReadOnlySpan<Half> source, Span<float> destination) =>
        TensorPrimitives.ConvertToSingle(source, destination[..source.Length]);

    /// <summary>f32 to IEEE half, round to nearest even (System.Half semantics; overflow gives ±inf).</summary>
    public static void F32ToF16(ReadOnlySpan<float> source, Span<Half> destination) =>
        TensorPrimitives.ConvertToHalf(source, destination[..source.Length]);

    /// <summary>bfloat16 is the top half of an f32, so widening is a 16-bit shift (exact).</summary>
    public static void BF16ToF32(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        destination = destination[..source.Length];
        var dst = MemoryMarshal.Cast<float, uint>(destination);
        int i = 0;
        if (Vector.IsHardwareAccelerated && source.Length >= Vector<ushort>.Count)
        {
            var srcV = MemoryMarshal.Cast<ushort, Vector<ushort>>(source);
            var dstV = MemoryMarshal.Cast<uint, Vector<uint>>(dst);
            for (int v = 0; v < srcV.Length; v++)
            {
                Vector.Widen(srcV[v], out var lo, out var hi);
                dstV[2 * v] = lo << 16;
                dstV[2 * v + 1] = hi << 16;
            }
            i = srcV.Length * Vector<ushort>.Count;
        }
        for (; i < source.Length; i++) dst[i] = (uint)source[i] << 16;
    }

    /// <summary>
    /// f32 to bfloat16, round to nearest even; NaN stays NaN (quiet bit set so truncation cannot make it inf).
    /// Same rule as ggml's ggml_compute_fp32_to_bf16 and PyTorch.
    /// </summary>
    public static ushort F32ToBF16(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort)((u >> 16) | 0x40);
        return (ushort)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
    }

    public static void F32ToBF16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        destination = destination[..source.Length];
        for (int i = 0; i < source.Length; i++) destination[i] = F32ToBF16(source[i]);
    }

    public static float BF16ToF32(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    /// <summary>
    /// Quantises to Q8_0 exactly as ggml's quantize_row_q8_0_ref (ggml-quants.c): per block of 32,
    /// d = amax/127 stored as f16, q = roundf(x * (1/d)) with halves away from zero, using the f32 d (not the
    /// f16-rounded one) for the division.
    /// </summary>
    public static void F32ToQ8_0(ReadOnlySpan<float> source, Span<byte> blocks)
    {
        int nb = source.Length / Q8BlockSize;
        if (source.Length % Q8BlockSize != 0 || blocks.Length < nb * Q8BlockBytes)
            throw new ArgumentException($"Q8_0: {source.Length} values need {nb * Q8BlockBytes} bytes in whole blocks of 32, got {blocks.Length}");
        for (int b = 0; b < nb; b++)
        {
            var x = source.Slice(b * Q8BlockSize, Q8BlockSize);
            float amax = 0f;
            for (int j = 0; j < Q8BlockSize; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
            float d = amax / 127f;
            float id = d != 0f ? 1f / d : 0f;
            var block = blocks.Slice(b * Q8BlockBytes, Q8BlockBytes);
            BitConverter.TryWriteBytes(block, (Half)d);
            var q = MemoryMarshal.Cast<byte, sbyte>(block[2..]);
            for (int j = 0; j < Q8BlockSize; j++) q[j] = (sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
        }
    }
}
