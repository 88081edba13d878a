using DrLlm.Engine.Model;

namespace DrLlm.Routing.Routers;

/// <summary>One training example: prompt token ids and the label per block (0 skip, 1 execute, 2 repeat).</summary>
public sealed record RouterExample(string Id, int[] Prompt, int[] Labels);

/// <summary>
/// The routers' inputs for a set of examples under teacher forcing (METHOD.md "Routers"): the frozen model's prefill
/// runs along each example's LABEL path, and router l's input is the window means of the hidden states entering
/// block l's first run. For a skipped block that is the residual stream at the point where it would have run, i.e.
/// entering the next executed step (the stream is unchanged by a skip) — exactly what <see cref="RoutedInference"/>
/// hands router l when the decisions before it equal the labels. The base model never changes, so the means are
/// computed once and reused every epoch; training then costs only router work. Data is [examples, L, W, d]
/// (rows past an example's window count are zero).
/// </summary>
public sealed class RouterFeatures
{
    private RouterFeatures(int numBlocks, int dim, int windows, float[] data, int[] windowCounts, RouterExample[] examples)
    {
        NumBlocks = numBlocks;
        Dim = dim;
        Windows = windows;
        Data = data;
        WindowCounts = windowCounts;
        Examples = examples;
    }

    public int NumBlocks { get; }
    public int Dim { get; }
    public int Windows { get; }
    public float[] Data { get; }
    /// <summary>Windows used per example: min(W, prompt length).</summary>
    public int[] WindowCounts { get; }
    public RouterExample[] Examples { get; }
    public int Count => Examples.Length;

    /// <summary>Window means of example <paramref name="e"/> at block <paramref name="block"/>, [w, d].</summary>
    public ReadOnlySpan<float> Means(int e, int block) =>
        Data.AsSpan((int)(((long)e * NumBlocks + block) * Windows * Dim), WindowCounts[e] * Dim);

    /// <summary>Runs the teacher-forced prefills. <paramref name="progress"/> gets (done, total).</summary>
    public static RouterFeatures Compute(InferenceSession session, IReadOnlyList<RouterExample> examples,
        int windows = RouterSet.DefaultWindows, Action<int, int>? progress = null)
    {
        int L = session.Config.NumLayers, d = session.Config.HiddenSize;
        long size = (long)examples.Count * L * windows * d;
        if (size > Array.MaxLength)
            throw new ArgumentException($"router features for {examples.Count} examples × {L} blocks × {windows} windows × d {d} exceed one array; use fewer examples");
        var data = new float[size];
        var counts = new int[examples.Count];
        for (int e = 0; e < examples.Count; e++)
        {
            var ex = examples[e];
            Validate(ex, L);
            counts[e] = WindowPooling.WindowCount(ex.Prompt.Length, windows);
            session.BeginPrefill(ex.Prompt);
            int step = 0;
            for (int l = 0; l < L; l++)
            {
                var dst = data.AsSpan((int)(((long)e * L + l) * windows * d), windows * d);
                WindowPooling.Forward(session.HiddenEnteringStep(step), ex.Prompt.Length, d, windows, dst);
                for (int r = 0; r < ex.Labels[l]; r++, step++) session.RunStep(l);
            }
            progress?.Invoke(e + 1, examples.Count);
        }
        return new RouterFeatures(L, d, windows, data, counts, examples.ToArray());
    }

    private static void Validate(RouterExample ex, int numBlocks)
    {
        if (ex.Labels.Length != numBlocks)
            throw new ArgumentException($"example {ex.Id}: {ex.Labels.Length} labels; the model has {numBlocks} blocks");
        try { LayerPath.FromBlockCounts(ex.Labels); }
        catch (ArgumentException e) { throw new ArgumentException($"example {ex.Id}: {e.Message}", e); }
        if (ex.Prompt.Length == 0) throw new ArgumentException($"example {ex.Id}: empty prompt");
    }
}
