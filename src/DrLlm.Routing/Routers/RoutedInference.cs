using System.Diagnostics;
using DrLlm.Engine.Model;

namespace DrLlm.Routing.Routers;

/// <summary>A routed generation: the path the routers chose, the per-block decisions, the output, and the time spent
/// in router forward passes (pooling + MLP) apart from the total.</summary>
public sealed record RoutedGeneration(LayerPath Path, int[] Decisions, GenerationResult Generation, double RouterSeconds, double TotalSeconds);

/// <summary>
/// Routed inference (METHOD.md "Routers"): the decisions are made once per sequence, during the prefill, block by
/// block — router l reads the residual stream entering block l as the decisions before it left it, and block l runs
/// 0, 1 or 2 times. The resulting path is then reused for every generated token, with its KV cache.
/// </summary>
public static class RoutedInference
{
    /// <summary>
    /// Routes and runs the prefill of <paramref name="prompt"/>; returns the last position's logits. The session is
    /// then ready for decoding along the chosen path. If every router says skip, the path would be empty (no layer
    /// path may be), so the last block is executed once instead and its decision recorded as 1.
    /// </summary>
    public static ReadOnlySpan<float> Prefill(InferenceSession session, RouterSet routers, ReadOnlySpan<int> prompt,
        out int[] decisions, out double routerSeconds)
    {
        var c = session.Config;
        if (routers.NumBlocks != c.NumLayers || routers.Dim != c.HiddenSize)
            throw new ArgumentException($"routers are for {routers.NumBlocks} blocks of d {routers.Dim}; the model has {c.NumLayers} blocks of d {c.HiddenSize}");
        decisions = new int[c.NumLayers];
        Span<float> logits = stackalloc float[Router.Classes];
        long routerTicks = 0;
        session.BeginPrefill(prompt);
        int steps = 0;
        for (int l = 0; l < c.NumLayers; l++)
        {
            long t0 = Stopwatch.GetTimestamp();
            int decision = routers.Decide(l, session.HiddenEnteringStep(steps), prompt.Length, logits);
            routerTicks += Stopwatch.GetTimestamp() - t0;
            if (decision == 0 && steps == 0 && l == c.NumLayers - 1) decision = 1;
            decisions[l] = decision;
            for (int r = 0; r < decision; r++, steps++) session.RunStep(l);
        }
        routerSeconds = (double)routerTicks / Stopwatch.Frequency;
        return session.FinishPrefill();
    }

    /// <summary>Routed prefill, then greedy decoding along the chosen path until a stop token or <paramref name="maxNewTokens"/>.</summary>
    public static RoutedGeneration Generate(InferenceSession session, RouterSet routers, ReadOnlySpan<int> prompt,
        int maxNewTokens, IReadOnlySet<int>? stopTokens = null)
    {
        long t0 = Stopwatch.GetTimestamp();
        var logits = Prefill(session, routers, prompt, out var decisions, out double routerSeconds);
        var generation = Generation.GreedyAfterPrefill(session, logits, maxNewTokens, stopTokens);
        double total = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var path = LayerPath.Create(session.PathSteps.ToArray(), session.Config.NumLayers);
        return new RoutedGeneration(path, decisions, generation, routerSeconds, total);
    }
}
