using DrLlm.Engine.Kernels;

namespace DrLlm.Engine.Model;

/// <summary>
/// What a session has computed and can reuse (the prefix-reuse store): the prompt, the blocks of the steps run over
/// it, the residual stream entering every step at every position, the KV cache of every step, and the tokens generated
/// after the prompt with, for each, how many leading steps still hold its values.
/// <para>
/// The invariant it keeps: prompt positions hold valid values for steps 0..<see cref="Steps"/>-1; generated position
/// T+g holds token <c>gen[g]</c> and is valid for its first <c>genSteps[g]</c> steps, a count that never grows from one
/// position to the next (a position's attention reads every earlier one). A step's output at a position depends only
/// on the blocks of the steps before it and on the tokens up to that position, so anything valid here is exactly what
/// recomputation would give.
/// </para>
/// </summary>
internal sealed unsafe class StoredRun : IDisposable
{
    private readonly int _d;
    private int[] _prompt = [];
    private readonly int[] _blocks;
    private readonly NativeBuffer?[] _hidden;
    private int[] _gen = new int[16];
    private int[] _genSteps = new int[16];

    public KvCache Cache { get; }
    /// <summary>Leading steps stored for every prompt position.</summary>
    public int Steps { get; private set; }
    /// <summary>Tokens stored after the prompt.</summary>
    public int Generated { get; private set; }
    public ReadOnlySpan<int> Blocks => _blocks;

    public StoredRun(int maxSteps, int hiddenSize, int kvDim)
    {
        _d = hiddenSize;
        _blocks = new int[maxSteps];
        _hidden = new NativeBuffer?[maxSteps + 1];
        Cache = new KvCache(maxSteps, kvDim);
    }

    public bool HasPrompt(ReadOnlySpan<int> prompt) => prompt.SequenceEqual(_prompt);

    /// <summary>A new prompt: nothing stored is valid any more (the caller embeds it as step 0's input).</summary>
    public void Reset(ReadOnlySpan<int> prompt)
    {
        _prompt = prompt.ToArray();
        Steps = 0;
        Generated = 0;
    }

    /// <summary>How many leading steps of <paramref name="steps"/> are stored for <paramref name="prompt"/>.</summary>
    public int SharedSteps(ReadOnlySpan<int> prompt, ReadOnlySpan<int> steps)
    {
        if (!HasPrompt(prompt)) return 0;
        int n = Math.Min(Steps, steps.Length), k = 0;
        while (k < n && _blocks[k] == steps[k]) k++;
        return k;
    }

    /// <summary>Whether step <paramref name="k"/> is stored and runs <paramref name="block"/>.</summary>
    public bool Holds(int k, int block) => k < Steps && _blocks[k] == block;

    /// <summary>
    /// The current path leaves the stored run at step <paramref name="k"/> with <paramref name="block"/>: later stored
    /// steps, and generated positions' values from step k on, are stale.
    /// </summary>
    public void Diverge(int k, int block)
    {
        _blocks[k] = block;
        Steps = k + 1;
        for (int g = 0; g < Generated; g++) _genSteps[g] = Math.Min(_genSteps[g], k);
    }

    /// <summary>Step <paramref name="k"/> was computed for the last prompt row only: it is not stored.</summary>
    public void DropFrom(int k) => Steps = Math.Min(Steps, k);

    /// <summary>
    /// Leading steps stored for generated position <paramref name="g"/> if it holds <paramref name="token"/> (and so,
    /// by the invariant, every earlier position holds what the sequence has); 0 otherwise.
    /// </summary>
    public int ValidSteps(int g, int token) => g < Generated && _gen[g] == token ? _genSteps[g] : 0;

    /// <summary>
    /// Tokens <paramref name="tokens"/> now sit at generated positions g0.. with every one of the path's
    /// <paramref name="pathSteps"/> steps computed (steps before <paramref name="start"/> reused): where a token differs
    /// from the stored one, everything stored after it goes; later positions keep only the steps before
    /// <paramref name="start"/>, since their attention read these positions' keys and values.
    /// </summary>
    public void Record(int g0, ReadOnlySpan<int> tokens, int pathSteps, int start)
    {
        int n = tokens.Length;
        for (int i = 0; i < n; i++)
        {
            int g = g0 + i;
            if (g < Generated && _gen[g] == tokens[i]) continue;
            EnsureGen(g + 1);
            _gen[g] = tokens[i];
            Generated = g + 1;
        }
        for (int i = 0; i < n; i++) _genSteps[g0 + i] = pathSteps;
        for (int g = g0 + n; g < Generated; g++) _genSteps[g] = Math.Min(_genSteps[g], start);
    }

    /// <summary>
    /// Becomes a copy of the first <paramref name="steps"/> steps of <paramref name="source"/> (its prompt, those steps
    /// at every prompt position with their keys and values, and its generated tokens as far as they hold those steps).
    /// </summary>
    public void CopyFrom(StoredRun source, int steps)
    {
        steps = Math.Clamp(steps, 0, source.Steps);
        _prompt = source._prompt;
        Steps = steps;
        Array.Copy(source._blocks, _blocks, steps);
        // Generated position g is valid for a step only if it and every position before it are (attention reads them).
        EnsureGen(source.Generated);
        Generated = source.Generated;
        int valid = steps;
        for (int g = 0; g < Generated; g++)
        {
            valid = Math.Min(valid, source._genSteps[g]);
            _gen[g] = source._gen[g];
            _genSteps[g] = valid;
        }
        int promptLen = _prompt.Length;
        for (int k = 0; k <= steps; k++)
        {
            int rows = promptLen + RowsValid(k);
            long bytes = (long)rows * _d * sizeof(float);
            Buffer.MemoryCopy(source._hidden[k]!.Ptr, Hidden(k, rows).Ptr, bytes, bytes);
            if (k < steps) Cache.CopyFrom(source.Cache, k, promptLen + RowsValid(k + 1));
        }
    }

    private int RowsValid(int k)
    {
        int n = 0;
        while (n < Generated && _genSteps[n] >= k) n++;
        return n;
    }

    /// <summary>The residual stream entering step <paramref name="k"/>, room for <paramref name="positions"/> rows.</summary>
    public NativeBuffer Hidden(int k, int positions)
    {
        var b = _hidden[k] ??= new NativeBuffer();
        b.Ensure((long)positions * _d);
        return b;
    }

    /// <summary>Row <paramref name="position"/> of the residual stream entering step <paramref name="k"/>.</summary>
    public float* Row(int k, int position) => _hidden[k]!.Ptr + (long)position * _d;

    public ReadOnlySpan<float> Rows(int k, int positions) => _hidden[k]!.Span(0, positions * _d);

    private void EnsureGen(int length)
    {
        if (length <= _gen.Length) return;
        Array.Resize(ref _gen, Math.Max(length, _gen.Length * 2));
        Array.Resize(ref _genSteps, _gen.Length);
    }

    public void Dispose()
    {
        foreach (var b in _hidden) b?.Dispose();
        Cache.Dispose();
    }
}
