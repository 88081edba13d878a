using System.Numerics;
using System.Runtime.InteropServices;

namespace DrLlm.Engine.Model;

/// <summary>
/// Where non-finite numbers (NaN, ±∞) are caught, so they never leave the engine as "answers": at load, every weight
/// tensor is scanned once (<see cref="CheckTensor"/>, called by the model loader for each tensor it reads), and every
/// logits row the decoder produces is checked (<see cref="CheckLogits"/>), which catches finite weights whose
/// activations overflow. A scan costs one subtraction and one addition per value (x − x is 0 exactly when x is finite,
/// and NaN sticks in the sum), at memory speed: loading a 125M-parameter f32 GGUF (`drllm logits`, SmolLM2-135M shape)
/// took 0.85-0.91 s of user CPU with it and 0.87-1.13 s without on the shared 2-core build machine, the difference
/// lost in the noise; a logits row is one vocabulary's worth of values per token.
/// </summary>
public static class FiniteValues
{
    /// <summary>Index of the first NaN or ±∞ in <paramref name="values"/>, or -1 when all are finite.</summary>
    public static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        // Four independent sums keep the loop at memory speed (one dependent add chain would bound it by add latency).
        var vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
        Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int i = 0;
        for (; i + 4 <= vectors.Length; i += 4)
        {
            a0 += vectors[i] - vectors[i];
            a1 += vectors[i + 1] - vectors[i + 1];
            a2 += vectors[i + 2] - vectors[i + 2];
            a3 += vectors[i + 3] - vectors[i + 3];
        }
        for (; i < vectors.Length; i++) a0 += vectors[i] - vectors[i];
        bool finite = Vector.EqualsAll(a0 + a1 + a2 + a3, Vector<float>.Zero);
        for (int j = vectors.Length * Vector<float>.Count; j < values.Length; j++) finite &= float.IsFinite(values[j]);
        if (finite) return -1;
        for (int j = 0; j < values.Length; j++)
            if (!float.IsFinite(values[j])) return j;
        return -1;
    }

    private static string Name(float x) => float.IsNaN(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf";

    /// <summary>Refuses a weight tensor holding a non-finite value, naming the file, the tensor and the element.</summary>
    public static void CheckTensor(ReadOnlySpan<float> values, string source, string tensor)
    {
        int at = FirstNonFinite(values);
        if (at >= 0)
            throw new ModelFormatException($"{source}: tensor '{tensor}' holds {Name(values[at])} at element {at}; weights must be finite");
    }

    /// <summary>
    /// <see cref="CheckTensor"/> for a tensor in its stored type: f32 values; f16/bf16 values whose exponent bits are
    /// all ones; for a block format, the f16 scales (its quantised values are small integers, always finite). Names the
    /// first element (of the block) at fault.
    /// </summary>
    public static unsafe void CheckStored(Formats.TensorDType type, byte* data, long count, string source, string tensor)
    {
        const int chunk = 1 << 28;
        switch (type)
        {
            case Formats.TensorDType.F32:
                for (long i = 0; i < count; i += chunk)
                {
                    var span = new ReadOnlySpan<float>((float*)data + i, (int)Math.Min(chunk, count - i));
                    int at = FirstNonFinite(span);
                    if (at >= 0)
                        throw new ModelFormatException($"{source}: tensor '{tensor}' holds {Name(span[at])} at element {i + at}; weights must be finite");
                }
                return;
            case Formats.TensorDType.F16: Bits16(data, count, 0x7c00, source, tensor, "f16"); return;
            case Formats.TensorDType.BF16: Bits16(data, count, 0x7f80, source, tensor, "bf16"); return;
        }
        int block = Formats.Numerics.BlockSize(type), bytes = Formats.Numerics.BlockBytes(type);
        // Where each block keeps its f16 scales (ggml-common.h): d first, Q4_K's dmin next, Q6_K's d last.
        int first = type == Formats.TensorDType.Q6_K ? 208 : 0, scales = type == Formats.TensorDType.Q4_K ? 2 : 1;
        for (long b = 0; b < count / block; b++)
            for (int s = 0; s < scales; s++)
            {
                ushort h = *(ushort*)(data + b * bytes + first + 2 * s);
                if ((h & 0x7c00) == 0x7c00)
                    throw new ModelFormatException($"{source}: tensor '{tensor}' ({type}) has a {((h & 0x3ff) != 0 ? "NaN" : "infinite")} block scale at element {b * block}; weights must be finite");
            }
    }

    private static unsafe void Bits16(byte* data, long count, ushort exponent, string source, string tensor, string what)
    {
        ushort* p = (ushort*)data;
        int n = Vector<ushort>.Count;
        var mask = new Vector<ushort>(exponent);
        long i = 0;
        for (; i + n <= count; i += n)
            if (Vector.EqualsAny(Vector.BitwiseAnd(Vector.Load(p + i), mask), mask)) break; // the loop below names it
        for (; i < count; i++)
            if ((p[i] & exponent) == exponent)
            {
                int mantissa = p[i] & ~exponent & 0x7fff;
                string kind = mantissa != 0 ? "NaN" : (p[i] & 0x8000) != 0 ? "-Inf" : "+Inf";
                throw new ModelFormatException($"{source}: tensor '{tensor}' holds {kind} at element {i} ({what}); weights must be finite");
            }
    }

    /// <summary>
    /// Refuses logits that are not all finite: the weights were finite (checked at load), so the activations of this
    /// input overflowed on the way; a greedy pick or a JSON array of them would be meaningless.
    /// </summary>
    public static void CheckLogits(ReadOnlySpan<float> logits, int rows)
    {
        int at = FirstNonFinite(logits);
        if (at < 0) return;
        int vocab = logits.Length / rows;
        throw new InvalidOperationException(
            $"the model produced a non-finite logit ({Name(logits[at])} for token {at % vocab}{(rows > 1 ? $" in row {at / vocab}" : "")}): " +
            "its activations overflowed on this input and path");
    }
}
