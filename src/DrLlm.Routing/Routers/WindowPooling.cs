using System.Numerics.Tensors;

namespace DrLlm.Routing.Routers;

/// <summary>
/// Windowed mean pooling (METHOD.md "Routers"): the first W·⌊T/W⌋ prompt tokens are split into W consecutive windows
/// of ⌊T/W⌋ tokens and each window is averaged; the last T mod W tokens are left out. With T &lt; W there are T
/// windows of one token each (W = T).
/// </summary>
public static class WindowPooling
{
    /// <summary>Number of windows a prompt of <paramref name="tokens"/> tokens gets with at most <paramref name="maxWindows"/>.</summary>
    public static int WindowCount(int tokens, int maxWindows)
    {
        if (tokens < 1) throw new ArgumentException($"windowed pooling needs at least one prompt token, got {tokens}");
        if (maxWindows < 1) throw new ArgumentException($"router windows must be ≥ 1, got {maxWindows}");
        return Math.Min(tokens, maxWindows);
    }

    /// <summary>hidden [T, d] → means [w, d] with w = <see cref="WindowCount"/>; returns w.</summary>
    public static int Forward(ReadOnlySpan<float> hidden, int tokens, int dim, int maxWindows, Span<float> means)
    {
        int w = WindowCount(tokens, maxWindows), n = tokens / w;
        if (hidden.Length < tokens * dim) throw new ArgumentException($"hidden states hold {hidden.Length} floats; [{tokens}, {dim}] needs {tokens * dim}");
        float inv = 1f / n;
        for (int i = 0; i < w; i++)
        {
            var m = means.Slice(i * dim, dim);
            m.Clear();
            for (int t = i * n; t < (i + 1) * n; t++) TensorPrimitives.Add(m, hidden.Slice(t * dim, dim), m);
            TensorPrimitives.Multiply(m, inv, m);
        }
        return w;
    }

    /// <summary>dHidden [T, d] += the gradient of the means [w, d]; tokens past W·⌊T/W⌋ get none.</summary>
    public static void Backward(ReadOnlySpan<float> dMeans, int tokens, int dim, int maxWindows, Span<float> dHidden)
    {
        int w = WindowCount(tokens, maxWindows), n = tokens / w;
        float inv = 1f / n;
        for (int i = 0; i < w; i++)
            for (int t = i * n; t < (i + 1) * n; t++)
            {
                var dh = dHidden.Slice(t * dim, dim);
                TensorPrimitives.MultiplyAdd(dMeans.Slice(i * dim, dim), inv, dh, dh);
            }
    }
}
