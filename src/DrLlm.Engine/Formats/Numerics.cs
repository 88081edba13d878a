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

    /// <summary>Bytes taken by <paramref name="count"/> elements of <paramref name="dtype"/> (count a multiple of 32 for Q8_0).</summary>
    /// <summary>Converts <paramref name="destination"/>.Length elements of <paramref name="dtype"/> at <paramref name="source"/> to f32.</summary>
    public static unsafe void ToF32(TensorDType dtype, byte* source, Span<float> destination)
    {
        int n = destination.Length;
        switch (dtype)
        {
            case TensorDType.F32: new ReadOnlySpan<float>(source, n).CopyTo(destination); break;
            case TensorDType.F16: F16ToF32(new ReadOnlySpan<Half>(source, n), destination); break;
            case TensorDType.BF16: BF16ToF32(new ReadOnlySpan<ushort>(source, n), destination); break;
            case TensorDType.Q8_0:
                // Block by block in int-sized chunks: a large Q8_0 tensor's byte count can exceed int.MaxValue.
                const int chunkBlocks = 1 << 20;
                for (long b = 0; b < n / Q8BlockSize; b += chunkBlocks)
                {
                    int blocks = (int)Math.Min(chunkBlocks, n / Q8BlockSize - b);
                    Q8_0ToF32(new ReadOnlySpan<byte>(source + b * Q8BlockBytes, blocks * Q8BlockBytes),
                        destination.Slice((int)(b * Q8BlockSize), blocks * Q8BlockSize));
                }
                break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no f32 conversion");
        }
    }

    public static long ByteSize(TensorDType dtype, long count) => dtype switch
    {
        TensorDType.F32 => count * 4,
        TensorDType.F16 or TensorDType.BF16 => count * 2,
        TensorDType.Q8_0 => count / Q8BlockSize * Q8BlockBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

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
    /// Dequantises Q8_0 blocks: x = d * q (ggml-quants.c, dequantize_row_q8_0).
    /// <paramref name="destination"/> length must be a multiple of 32 and match the block count.
    /// </summary>
    public static void Q8_0ToF32(ReadOnlySpan<byte> blocks, Span<float> destination)
    {
        int nb = destination.Length / Q8BlockSize;
        if (destination.Length % Q8BlockSize != 0 || blocks.Length < nb * Q8BlockBytes)
            throw new ArgumentException($"Q8_0: {destination.Length} values need {nb * Q8BlockBytes} bytes in whole blocks of 32, got {blocks.Length}");
        for (int b = 0; b < nb; b++)
        {
            var block = blocks.Slice(b * Q8BlockBytes, Q8BlockBytes);
            float d = (float)BitConverter.ToHalf(block);
            var q = MemoryMarshal.Cast<byte, sbyte>(block[2..]);
            var dst = destination.Slice(b * Q8BlockSize, Q8BlockSize);
            for (int j = 0; j < Q8BlockSize; j++) dst[j] = d * q[j];
        }
    }

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
