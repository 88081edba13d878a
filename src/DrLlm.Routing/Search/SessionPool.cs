using DrLlm.Engine.Model;

namespace DrLlm.Routing.Search;

/// <summary>
/// A few inference sessions of one model for the path search. Each path evaluation goes to the session whose stored run
/// shares the longest step prefix with it (least recently used on ties), so an evaluation can reuse the work of its
/// parent or a sibling evaluated a few simulations ago, not only of the very last path. Memory grows with the size:
/// each session keeps the residual stream per step for its prompt and generated tokens.
/// </summary>
public sealed class SessionPool : IDisposable
{
    private readonly InferenceSession[] _sessions;
    private readonly long[] _lastUse;
    private long _clock;

    public SessionPool(Decoder model, int size = 4)
    {
        if (size < 1) throw new ArgumentException($"a session pool needs at least one session, got {size}");
        _sessions = Enumerable.Range(0, size).Select(_ => model.CreateSession()).ToArray();
        _lastUse = new long[size];
    }

    public int Size => _sessions.Length;
    public ModelConfig Config => _sessions[0].Config;

    /// <summary>Turns prefix reuse on or off in every session (off: the recompute-everything baseline).</summary>
    public bool ReusePrefix
    {
        get => _sessions[0].ReusePrefix;
        set { foreach (var s in _sessions) s.ReusePrefix = value; }
    }

    public long BlockRuns => _sessions.Sum(s => s.BlockRuns);
    public long BlockRunsSaved => _sessions.Sum(s => s.BlockRunsSaved);

    /// <summary>The session to evaluate <paramref name="steps"/> on for <paramref name="prompt"/>.</summary>
    public InferenceSession For(ReadOnlySpan<int> prompt, ReadOnlySpan<int> steps)
    {
        int best = 0, bestShared = -1;
        for (int i = 0; i < _sessions.Length; i++)
        {
            int shared = _sessions[i].ReusableSteps(prompt, steps);
            if (shared > bestShared || (shared == bestShared && _lastUse[i] < _lastUse[best])) { best = i; bestShared = shared; }
        }
        _lastUse[best] = ++_clock;
        return _sessions[best];
    }

    public void Dispose()
    {
        foreach (var s in _sessions) s.Dispose();
    }
}
