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
