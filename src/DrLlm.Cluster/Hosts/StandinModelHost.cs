using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DrLlm.Engine.Model;
using Decoder = DrLlm.Engine.Model.Decoder;
using DrLlm.Routing.Routers;
using DrLlm.Routing.Search;
using DrLlm.Tasks;
using DrLlm.Tasks.Prompts;

namespace DrLlm.Cluster.Hosts;

/// <summary>
/// A stand-in base model for cluster tests and the scaling benchmark: <c>standin:latency=20ms,blocks=8</c>. A path
/// evaluation sleeps a fixed latency (standing for a forward pass on a GPU node, so many can wait side by side on 2
/// cores) and is correct by a deterministic hash of (model seed, example id, path): the default path with probability
/// <c>p</c>, any other with probability <c>q</c>. Searches are the real <see cref="SearchTree"/>; router features and
/// routed decisions come from a tiny random decoder (d 16, byte-level prompts), so router training and routed
/// evaluation are the real code too, only the model is not. Results depend on blocks, seed, p and q (its identity
/// hash), never on latency or on which node runs them.
/// Options: latency (ms, s), blocks, seed, p, q, fail (load fails with this message: for bad-input tests),
/// trace=FILE (one line "KEY N" per simulation run, appended and flushed: tests count redone simulations).
/// </summary>
public sealed class StandinModelHost : IModelHost
{
    public const string Prefix = "standin:";
    private readonly TimeSpan _latency;
    private readonly int _seed;
    private readonly double _p, _q;
    private readonly Decoder _decoder;
    private readonly object _gate = new();
    private readonly StreamWriter? _trace;

    public StandinModelHost(string name, string spec)
    {
        Name = name;
        Source = spec;
        var opts = new Dictionary<string, string>();
        foreach (var part in spec[Prefix.Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq < 1) throw new FormatException($"stand-in model '{name}': '{part}' is not key=value");
            opts[part[..eq]] = part[(eq + 1)..];
        }
        foreach (var k in opts.Keys)
            if (k is not ("latency" or "blocks" or "seed" or "p" or "q" or "fail" or "trace"))
                throw new FormatException($"stand-in model '{name}': unknown option '{k}' (latency, blocks, seed, p, q, fail, trace)");
        if (opts.TryGetValue("fail", out var fail)) throw new IOException($"stand-in model '{name}' failed to load: {fail}");
        _latency = ParseLatency(opts.GetValueOrDefault("latency", "20ms"), name);
        NumBlocks = ParseInt(opts.GetValueOrDefault("blocks", "8"), "blocks", name, 1, 64);
        _seed = ParseInt(opts.GetValueOrDefault("seed", "1"), "seed", name, int.MinValue, int.MaxValue);
        _p = ParseProbability(opts.GetValueOrDefault("p", "0.5"), "p", name);
        _q = ParseProbability(opts.GetValueOrDefault("q", "0.3"), "q", name);
        var config = new ModelConfig
        {
            Architecture = Architecture.Llama, HiddenSize = 16, IntermediateSize = 32, NumLayers = NumBlocks, NumHeads = 2,
            NumKvHeads = 1, HeadDim = 8, VocabSize = 256, RmsNormEps = 1e-5f, MaxPositionEmbeddings = 512,
        };
        _decoder = new Decoder(ModelWeights.FromCheckpoint(InMemoryTensorSource.Checkpoint(config, RandomInit.Weights(config, _seed, 0.3f))), threads: 1);
        var identity = string.Create(CultureInfo.InvariantCulture, $"standin:blocks={NumBlocks},seed={_seed},p={_p},q={_q}");
        Identity = new BaseModelIdentity(name, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity))), config.HiddenSize, NumBlocks);
        if (opts.TryGetValue("trace", out var trace))
            _trace = new StreamWriter(new FileStream(trace, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    public string Name { get; }
    public string Source { get; }
    public string Format => "standin";
    public BaseModelIdentity Identity { get; }
    public int NumBlocks { get; }
    public long MemoryBytes => _decoder.Weights.OwnedBytes;

    private sealed class Evaluator(StandinModelHost host, string exampleId) : IPathEvaluator
    {
        public double Seconds;
        public bool IsCorrect(IReadOnlyList<int> steps)
        {
            long t0 = Stopwatch.GetTimestamp();
            if (host._latency > TimeSpan.Zero) Thread.Sleep(host._latency);
            Seconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
            return host.Reward(exampleId, steps);
        }
    }

    /// <summary>The deterministic reward of a path for an example.</summary>
    public bool Reward(string exampleId, IReadOnlyList<int> steps)
    {
        bool isDefault = steps.Count == NumBlocks && Enumerable.Range(0, NumBlocks).All(i => steps[i] == i);
        var key = $"{_seed}|{exampleId}|{string.Join(",", steps)}";
        ulong h = BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        double u = (h >> 11) * (1.0 / (1UL << 53));
        return u < (isDefault ? _p : _q);
    }

    public SearchRun Search(TaskItem item, SearchOptions options, ulong seed, int sessions, SearchCheckpoint? resumeFrom,
        Action<SearchCheckpoint> checkpoint, int every, string traceKey)
    {
        var ev = new Evaluator(this, item.Id);
        int traced = resumeFrom?.State.Simulations ?? 0;
        void Trace(int simulations)
        {
            // one line per simulation this execution ran
            if (_trace is null) return;
            lock (_trace)
                for (; traced < simulations; traced++) _trace.WriteLine($"{traceKey} {traced + 1}");
        }
        var result = ExampleSearch.Run(ev, NumBlocks, item, options, seed, resumeFrom, checkpoint, every, simulated: Trace);
        return new SearchRun(result, ev.Seconds);
    }

    /// <summary>Byte-level prompt ids (at most 64, the prompt's end), as the tiny decoder reads them.</summary>
    public int[] EncodePrompt(TaskItem item)
    {
        var bytes = Encoding.UTF8.GetBytes(TaskPrompts.Base(item));
        return bytes.Skip(Math.Max(0, bytes.Length - 64)).Select(b => (int)b).ToArray();
    }

    public RouterFeatures Features(IReadOnlyList<RouterExample> examples, int windows)
    {
        lock (_gate)
        {
            using var session = _decoder.CreateSession();
            return RouterFeatures.Compute(session, examples, windows);
        }
    }

    public string? Answer(TaskItem item, int[] path) => null;

    public EvalOutcome Evaluate(TaskItem item, RouterSet routers)
    {
        int[] decisions;
        double routerSeconds;
        int[] path;
        lock (_gate)
        {
            using var session = _decoder.CreateSession();
            RoutedInference.Prefill(session, routers, EncodePrompt(item), out decisions, out routerSeconds);
            path = session.PathSteps.ToArray();
        }
        if (_latency > TimeSpan.Zero) Thread.Sleep(2 * _latency);
        var defaultPath = Enumerable.Range(0, NumBlocks).ToArray();
        bool baseline = Reward(item.Id, defaultPath), routed = Reward(item.Id, path);
        return new EvalOutcome(baseline, null, NumBlocks, routed, null, routed ? "correct" : "wrong", path, decisions, routerSeconds);
    }

    private static TimeSpan ParseLatency(string v, string name)
    {
        double scale = v.EndsWith("ms", StringComparison.Ordinal) ? 1 : v.EndsWith('s') ? 1000 : 1;
        var num = v.TrimEnd('m', 's');
        if (!double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || x < 0)
            throw new FormatException($"stand-in model '{name}': latency '{v}' is not a duration like 20ms or 0.5s");
        return TimeSpan.FromMilliseconds(x * scale);
    }

    private static int ParseInt(string v, string key, string name, int min, int max) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var x) && x >= min && x <= max ? x
            : throw new FormatException($"stand-in model '{name}': {key} '{v}' must be an integer in {min}..{max}");

    private static double ParseProbability(string v, string key, string name) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x is >= 0 and <= 1 ? x
            : throw new FormatException($"stand-in model '{name}': {key} '{v}' must be a probability in [0, 1]");

    public void Dispose()
    {
        _decoder.Dispose();
        _trace?.Dispose();
    }
}
