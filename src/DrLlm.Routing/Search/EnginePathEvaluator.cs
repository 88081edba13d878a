using DrLlm.Engine.Model;

namespace DrLlm.Routing.Search;

/// <summary>
/// Evaluates a path for one example on the engine: greedy generation of at most <c>maxNewTokens</c> under the path,
/// then <c>grade</c> on the generated ids (METHOD.md: the answer graded exactly). All evaluations of one example share
/// one session, so each prefill resumes from the longest step prefix it shares with the previous one.
/// Counts block executions (one block run over the prompt, or over one generated token, counts one): those run, and
/// those prefix reuse saved, so full recomputation would have run <c>BlockRuns + BlockRunsSaved</c>.
/// </summary>
public sealed class EnginePathEvaluator(
    InferenceSession session,
    int[] prompt,
    int maxNewTokens,
    IReadOnlySet<int> stopTokens,
    Func<IReadOnlyList<int>, bool> grade) : IPathEvaluator
{
    public long BlockRuns { get; private set; }
    public long BlockRunsSaved { get; private set; }
    /// <summary>The last evaluation's generated ids (for logs and tests).</summary>
    public int[] LastOutput { get; private set; } = [];

    public bool IsCorrect(IReadOnlyList<int> steps)
    {
        var path = LayerPath.Create(steps, session.Config.NumLayers);
        long runs0 = session.BlockRuns, saved0 = session.BlockRunsSaved;
        var result = Generation.Greedy(session, prompt, path, maxNewTokens, stopTokens);
        // Prefill steps come from the session's counters; every decode step after the first token runs the whole path.
        int decodeSteps = Math.Max(0, result.Tokens.Length - (result.StopReason == StopReason.MaxTokens ? 1 : 0));
        BlockRuns += session.BlockRuns - runs0 + (long)decodeSteps * path.Length;
        BlockRunsSaved += session.BlockRunsSaved - saved0;
        LastOutput = result.Tokens;
        return grade(result.Tokens);
    }
}
