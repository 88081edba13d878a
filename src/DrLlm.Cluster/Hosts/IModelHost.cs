using DrLlm.Routing.Routers;
using DrLlm.Routing.Search;
using DrLlm.Tasks;

namespace DrLlm.Cluster.Hosts;

/// <summary>One example's search as a host ran it: the result and the seconds spent evaluating paths (the rest of the
/// job's time is orchestration: state loads, checkpoints, result writes).</summary>
public sealed record SearchRun(ExampleSearchResult Result, double EvalSeconds);

/// <summary>One evaluated item: the default path's answer and the routed one.</summary>
public sealed record EvalOutcome(bool BaselineCorrect, string? BaselineAnswer, int BaselineLayers, bool RoutedCorrect,
    string? RoutedAnswer, string RoutedOutput, int[] RoutedPath, int[] Decisions, double RouterSeconds);

/// <summary>
/// The ModelHost actor's work, in-process: a base model loaded once per node, serving path searches, router features
/// and evaluations to the actors placed on the node. Implementations: <see cref="EngineModelHost"/> (a real checkpoint
/// on the engine) and <see cref="StandinModelHost"/> (fixed latency per path evaluation, deterministic rewards; for
/// failover tests and the scaling benchmark, where 2 cores must not be the limit).
/// </summary>
public interface IModelHost : IDisposable
{
    string Name { get; }
    /// <summary>What the node was told to serve (a path, or a stand-in spec).</summary>
    string Source { get; }
    /// <summary>"hf", "gguf" or "standin".</summary>
    string Format { get; }
    BaseModelIdentity Identity { get; }
    int NumBlocks { get; }
    long MemoryBytes { get; }

    /// <summary>
    /// Runs (or resumes) the MCTS of one item. <paramref name="checkpoint"/> is called every <paramref name="every"/>
    /// simulations and at the end; it may throw to stop the search (shutdown, cancel), after saving.
    /// </summary>
    SearchRun Search(TaskItem item, SearchOptions options, ulong seed, int sessions, SearchCheckpoint? resumeFrom,
        Action<SearchCheckpoint> checkpoint, int every, string traceKey);

    /// <summary>Prompt ids as evaluation feeds them to the model (router examples are built from these).</summary>
    int[] EncodePrompt(TaskItem item);

    /// <summary>Teacher-forced router inputs of labelled examples (RouterFeatures.Compute on this model).</summary>
    RouterFeatures Features(IReadOnlyList<RouterExample> examples, int windows);

    /// <summary>The answer the model gives to <paramref name="item"/> on <paramref name="path"/> (null where the host
    /// grades paths without generating text: the stand-in).</summary>
    string? Answer(TaskItem item, int[] path);

    /// <summary>The item under the default path and under <paramref name="routers"/>.</summary>
    EvalOutcome Evaluate(TaskItem item, RouterSet routers);
}
