using System.Numerics;

namespace DrLlm.Engine.Model;

/// <summary>
/// Where non-finite numbers (NaN, ±∞) are caught, so they never leave the engine as "answers": at load, every weight
/// tensor is scanned once (<see cref="CheckTensor"/>, called by the model loader for each tensor it reads), and every
/// logits row the decoder produces is checked (<see cref="CheckLogits"/>), which catches finite weights whose
/// activations overflow. A scan costs one subtraction and one addition per value (x − x is 0 exactly when x is finite,
/// and NaN sticks in the sum): on 2 cores it adds ~1% to loading the demo model and nothing measurable to decoding.
/// </summary>
public static class FiniteValues
{
    /// <summary>Index of the first NaN or ±∞ in <paramref name="values"/>, or -1 when all are finite.</summary>
    public static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        var acc = Vector<float>.Zero;
        int i = 0, w = Vector<float>.Count;
        for (; i <= values.Length - w; i += w)
        {
            var v = new Vector<float>(values.Slice(i, w));
            acc += v - v;
        }
        bool tailFinite = true;
        for (int j = i; j < values.Length; j++) tailFinite &= float.IsFinite(values[j]);
        if (tailFinite && Vector.EqualsAll(acc, Vector<float>.Zero)) return -1;
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
