using DrLlm.Engine.Kernels;

namespace DrLlm.Engine.Model;

public enum StopReason { StopToken, MaxTokens }

/// <summary>Greedy output: the new tokens (a stop token that ended generation is not included) and why it ended.</summary>
public sealed record GenerationResult(int[] Tokens, StopReason StopReason, int PromptTokens, int PathLength);

/// <summary>Greedy decoding and continuation scoring on top of an <see cref="InferenceSession"/>.</summary>
public static class Generation
{
    /// <summary>
    /// Prefill with <paramref name="path"/>, then pick the argmax token until a stop token or
    /// <paramref name="maxNewTokens"/>. Every generated token runs through the same path, reusing its KV cache
    /// (METHOD.md: the route is decided once per sequence).
    /// </summary>
    public static GenerationResult Greedy(InferenceSession session, ReadOnlySpan<int> prompt, LayerPath path,
        int maxNewTokens, IReadOnlySet<int>? stopTokens = null)
    {
        if (maxNewTokens < 0) throw new ArgumentException($"max new tokens must be ≥ 0, got {maxNewTokens}");
        var output = new List<int>(maxNewTokens);
        var logits = session.Prefill(prompt, path);
        return Continue(session, logits, maxNewTokens, stopTokens, output, prompt.Length, path.Length);
    }

    /// <summary>Greedy decoding after a prefill the caller already ran (e.g. one routed block by block).</summary>
    public static GenerationResult GreedyAfterPrefill(InferenceSession session, ReadOnlySpan<float> prefillLogits,
        int maxNewTokens, IReadOnlySet<int>? stopTokens = null) =>
        Continue(session, prefillLogits, maxNewTokens, stopTokens, new List<int>(maxNewTokens), session.PromptLength,
            session.PathSteps.Length);

    private static GenerationResult Continue(InferenceSession session, ReadOnlySpan<float> logits, int maxNewTokens,
        IReadOnlySet<int>? stopTokens, List<int> output, int promptLength, int pathLength)
    {
        var reason = StopReason.MaxTokens;
        for (int i = 0; i < maxNewTokens; i++)
        {
            int next = Ops.Argmax(logits);
            if (stopTokens is not null && stopTokens.Contains(next)) { reason = StopReason.StopToken; break; }
            output.Add(next);
            if (i + 1 < maxNewTokens) logits = session.DecodeStep(next);
        }
        return new GenerationResult(output.ToArray(), reason, promptLength, pathLength);
    }

    /// <summary>
    /// Sum of log-probabilities of each continuation after the prompt, under <paramref name="path"/>. The prompt is
    /// prefilled once; each candidate runs as one chunk on top of the prompt's KV cache and is then rewound.
    /// </summary>
    public static double[] ScoreContinuations(InferenceSession session, ReadOnlySpan<int> prompt,
        IReadOnlyList<int[]> continuations, LayerPath path)
    {
        var first = session.Prefill(prompt, path).ToArray();
        int vocab = session.Config.VocabSize, t0 = session.Position;
        var scores = new double[continuations.Count];
        for (int c = 0; c < continuations.Count; c++)
        {
            var cont = continuations[c];
            if (cont.Length == 0) throw new ArgumentException($"continuation {c} is empty");
            if ((uint)cont[0] >= (uint)vocab) throw new ArgumentException($"continuation {c} token 0 is {cont[0]}; vocabulary is 0..{vocab - 1}");
            double s = Ops.LogSoftmaxAt(first, cont[0]);
            if (cont.Length > 1)
            {
                // Logits of positions 0..n-2 of the continuation predict its tokens 1..n-1.
                var all = session.Extend(cont.AsSpan(0, cont.Length - 1), allLogits: true);
                for (int i = 1; i < cont.Length; i++)
                    s += Ops.LogSoftmaxAt(all.Slice((i - 1) * vocab, vocab), cont[i]);
                session.Rewind(t0);
            }
            scores[c] = s;
        }
        return scores;
    }
}
