using System.Diagnostics;
using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;
using DrLlm.Engine.Text;
using DrLlm.Routing.Evaluation;
using DrLlm.Routing.Routers;
using DrLlm.Routing.Search;
using DrLlm.Tasks;

namespace DrLlm.Cluster.Hosts;

/// <summary>
/// A real base model (HF directory or GGUF) on the engine, loaded once. The decoder is shared by every actor on the
/// node, one at a time: its matrix products already use all the cores the node gives it (--threads), so running two
/// evaluations side by side would only make both slower. Searches, router features and evaluations are the same
/// library calls as <c>drllm search</c>, <c>train-routers</c> and <c>eval --routers</c>.
/// </summary>
public sealed class EngineModelHost : IModelHost
{
    private readonly Decoder _decoder;
    private readonly TaskEvaluator _evaluator;
    private readonly object _gate = new();

    public EngineModelHost(string name, string path, int threads)
    {
        Name = name;
        Source = path;
        if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"{path}: base model not found");
        Format = File.Exists(path) ? "gguf" : "hf";
        _decoder = Decoder.Load(path, threads);
        try
        {
            _evaluator = new TaskEvaluator(_decoder, TokenizerLoader.Load(path));
            Identity = BaseModelIdentity.Of(path, _decoder.Config) with { Name = name };
        }
        catch
        {
            _decoder.Dispose();
            throw;
        }
    }

    public string Name { get; }
    public string Source { get; }
    public string Format { get; }
    public BaseModelIdentity Identity { get; }
    public int NumBlocks => _decoder.Config.NumLayers;
    public long MemoryBytes => _decoder.Weights.OwnedBytes + _decoder.Weights.MappedBytes;

    public SearchRun Search(TaskItem item, SearchOptions options, ulong seed, int sessions, SearchCheckpoint? resumeFrom,
        Action<SearchCheckpoint> checkpoint, int every, string traceKey)
    {
        lock (_gate)
        {
            double checkpointSeconds = 0;
            var sw = Stopwatch.StartNew();
            using var pool = new SessionPool(_decoder, sessions > 0 ? sessions : SessionPool.AutoSize(_decoder.Config));
            var result = ExampleSearch.Run(_evaluator, pool, item, options, seed, resumeFrom, c =>
            {
                long t0 = Stopwatch.GetTimestamp();
                try { checkpoint(c); }
                finally { checkpointSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds; }
            }, every);
            return new SearchRun(result, Math.Max(0, sw.Elapsed.TotalSeconds - checkpointSeconds));
        }
    }

    public int[] EncodePrompt(TaskItem item) => _evaluator.Prepare(item).Prompt;

    public RouterFeatures Features(IReadOnlyList<RouterExample> examples, int windows)
    {
        lock (_gate)
        {
            using var session = _decoder.CreateSession();
            return RouterFeatures.Compute(session, examples, windows);
        }
    }

    public string? Answer(TaskItem item, int[] path)
    {
        lock (_gate)
        {
            using var session = _decoder.CreateSession();
            return _evaluator.Run(session, item, LayerPath.Create(path, NumBlocks)).Answer;
        }
    }

    public EvalOutcome Evaluate(TaskItem item, RouterSet routers)
    {
        lock (_gate)
        {
            using var session = _decoder.CreateSession();
            var baseline = _evaluator.Run(session, item, LayerPath.Default(NumBlocks));
            var (routed, decisions, routerSeconds, _) = _evaluator.RunRouted(session, item, routers);
            return new EvalOutcome(baseline.Correct, baseline.Answer, baseline.Path.Length, routed.Correct, routed.Answer,
                routed.Output, routed.Path, decisions, routerSeconds);
        }
    }

    public void Dispose() => _decoder.Dispose();
}
