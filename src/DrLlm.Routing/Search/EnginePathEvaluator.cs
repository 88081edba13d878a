using DrLlm.Engine.Model;

namespace DrLlm.Routing.Search;

/// <summary>
/// Evaluates a path for one example on the engine: greedy generation of at most <c>maxNewTokens</c> under the path,
/// then <c>grade</c> on the generated ids (METHOD.md: the answer graded exactly). Evaluations run on a
/// <see cref="SessionPool"/>, each on the session whose stored run shares most steps with it (prompt and generated tokens).
/// Counts block executions (one block run over the prompt, or over one generated token, counts one): those run, and
/// those prefix reuse saved, so full recomputation would have run <c>BlockRuns + BlockRunsSaved</c>.
/// </summary>
public sealed class EnginePathEvaluator(
    SessionPool sessions,
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
        var path = LayerPath.Create(steps, sessions.Config.NumLayers);
        var session = sessions.For(prompt, path.Steps.ToArray());
        long runs0 = session.BlockRuns, saved0 = session.BlockRunsSaved;
        var result = Generation.Greedy(session, prompt, path, maxNewTokens, stopTokens);
        BlockRuns += session.BlockRuns - runs0;
        BlockRunsSaved += session.BlockRunsSaved - saved0;
        LastOutput = result.Tokens;
        return grade(result.Tokens);
    }
}
