using DrLlm.Engine.Kernels;

namespace DrLlm.Engine.Model;

/// <summary>
/// One sequence's state: its tokens, the residual stream entering every path step at every position, a KV cache per
/// path *step* (a repeated block owns two entries, METHOD.md), and counters.
///
/// A prefill runs step by step (<see cref="BeginPrefill"/>, <see cref="RunStep"/>, <see cref="FinishPrefill"/>), so a
/// router can choose each block after seeing the hidden state entering it. Then <see cref="DecodeStep"/> and
/// <see cref="Extend"/> run further tokens through the same path.
///
/// Prefix reuse. A step's output at a position depends only on the blocks of the steps before it and on the tokens at
/// that position and before. So the session keeps what it computed (the "stored run") and, for a new sequence with the
/// same prompt whose first k steps name the same blocks, reuses those k steps at every prompt position — and at every
/// generated position whose token, and all tokens before it, match the stored run. Search evaluates many paths that
/// share a prefix with the previous one and usually generate the same answer, so most of their work is reuse.
/// <see cref="BlockRuns"/> and <see cref="BlockRunsSaved"/> count block executions (one block over the prompt, or over
/// one generated token, counts one) run and reused. What is stored, and when it stays valid, is <see cref="StoredRun"/>'s
/// business; this class runs paths.
///
/// Where a path's blocks run: step k runs block <c>Blocks[k]</c> over a range of positions in <see cref="RunRows"/>
/// (residual entering step k+1 = residual entering step k + block) — a skipped block is one no step names, a repeated
/// one is named by two adjacent steps, each with its own KV cache. A prefill calls it once per step (<see cref="RunStep"/>,
/// the last step deferred, see below); a generated token runs the loop over all steps in <see cref="Extend"/>.
/// </summary>
public sealed unsafe class InferenceSession : IDisposable
{
    private readonly Decoder _model;
    private readonly ModelConfig _c;
    private readonly StoredRun _run;
    private readonly BlockForward _forward;
    private readonly int[] _oneToken = new int[1];

    // The current sequence.
    private int _promptLen, _stepCount, _pathLen, _pos;
    private bool _inPrefill, _reusing, _prefilled;
    // The last step of a prefill only needs its keys and values at every prompt position (generated tokens attend to
    // them) and its output at the last position (the logits). So the step RunStep last ran is computed only once it is
    // known not to be the last: by the next RunStep, or when its output is read (HiddenEnteringStep); FinishPrefill
    // runs it with attention and MLP for the last row only (~1/5 of a block on the demo model). The logits always come
    // from that last-row computation, whether the step was deferred, reused or already computed, so every way to a
    // path's logits (Prefill, routed step by step, with or without reuse) gives the same bits.
    private bool _pending, _lastReused;
    // The deferred last step ran for the last row only: the hidden state after the path exists for no other prompt row,
    // and that step is not part of the stored run.
    private bool _lastStepPartial;
    private readonly NativeBuffer _lastRows = new();

    /// <summary>Block executions run so far (prefill steps and generated-token steps).</summary>
    public long BlockRuns { get; private set; }
    /// <summary>Block executions reused from the stored run instead of being recomputed.</summary>
    public long BlockRunsSaved { get; private set; }
    /// <summary>Whether stored steps may be reused (default true). Off, everything is recomputed: the baseline.</summary>
    public bool ReusePrefix { get; set; } = true;
    public int Position => _pos;
    public int PromptLength => _promptLen;
    /// <summary>Blocks of the current path (valid once a prefill has finished, or the steps run so far during one).</summary>
    public ReadOnlySpan<int> PathSteps => _run.Blocks[..(_inPrefill ? _stepCount : _pathLen)];
    public ModelConfig Config => _c;

    internal InferenceSession(Decoder model)
    {
        _model = model;
        _c = model.Config;
        _run = new StoredRun(2 * _c.NumLayers, _c.HiddenSize, _c.KvDim);
        _forward = new BlockForward(model, _run.Cache);
    }

    /// <summary>
    /// How many leading steps of <paramref name="steps"/> a prefill of <paramref name="prompt"/> would reuse from the
    /// stored run (0 when the prompt differs or reuse is off): lets a caller holding several sessions pick the best one.
    /// </summary>
    public int ReusableSteps(ReadOnlySpan<int> prompt, ReadOnlySpan<int> steps) =>
        ReusePrefix ? _run.SharedSteps(prompt, steps) : 0;

    /// <summary>
    /// Makes this session's stored run a copy of the first <paramref name="steps"/> steps of <paramref name="source"/>'s
    /// (its prompt, those steps at every prompt position, and its generated tokens as far as they hold those steps), so
    /// a following prefill here reuses them as it would on the source — while the source keeps its own run for later
    /// paths. A memory copy: no block runs, nothing counted. Both sessions must belong to the same model.
    /// </summary>
    public void CopyStoredRun(InferenceSession source, int steps)
    {
        if (source._model != _model) throw new ArgumentException("sessions of different models cannot share a stored run");
        if (source == this) throw new ArgumentException("a session cannot copy its own stored run");
        if (source._inPrefill || _inPrefill) throw new InvalidOperationException("cannot copy a stored run during a prefill");
        _run.CopyFrom(source._run, steps);
        _prefilled = false;
    }

    /// <summary>Prefill with a whole path; returns the last prompt position's logits [vocab].</summary>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens, LayerPath path)
    {
        if (path.NumBlocks != _c.NumLayers)
            throw new ArgumentException($"layer path is for {path.NumBlocks} blocks; the model has {_c.NumLayers}");
        BeginPrefill(tokens);
        foreach (var b in path.Steps) RunStep(b);
        return FinishPrefill();
    }

    /// <summary>Starts a prefill of <paramref name="tokens"/>; steps stored for the same prompt become reusable.</summary>
    public void BeginPrefill(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length == 0) throw new ArgumentException("prompt is empty: at least one token is needed");
        CheckTokens(tokens);
        if (!ReusePrefix || !_run.HasPrompt(tokens))
        {
            _run.Reset(tokens);
            Embed(tokens, 0);
        }
        _promptLen = tokens.Length;
        _stepCount = 0;
        _pending = false;
        _lastReused = false;
        _lastStepPartial = false;
        _reusing = true;
        _inPrefill = true;
        _prefilled = false;
        _forward.EnsurePositions(_promptLen);
    }

    /// <summary>Runs (or reuses) <paramref name="block"/> as the next step of the prefill.</summary>
    public void RunStep(int block)
    {
        if (!_inPrefill) throw new InvalidOperationException("RunStep outside a prefill: call BeginPrefill first");
        int k = _stepCount;
        var blocks = _run.Blocks;
        LayerPath.CheckStep(k, block, k > 0 ? blocks[k - 1] : -1, k > 1 ? blocks[k - 2] : -1, _c.NumLayers);
        LayerPath.CheckLength(k + 1, _c.NumLayers);

        Flush();
        _stepCount++;
        if (_reusing && _run.Holds(k, block))
        {
            BlockRunsSaved++;
            _lastReused = true;
            return;
        }
        _lastReused = false;
        // The path leaves the stored run at step k.
        _reusing = false;
        _run.Diverge(k, block);
        _pending = true; // computed by the next RunStep, a read of its output, or FinishPrefill
        BlockRuns++;
    }

    /// <summary>Computes the deferred step over every prompt row (its output is needed after all).</summary>
    private void Flush()
    {
        if (!_pending) return;
        _pending = false;
        RunRows(_stepCount - 1, 0, _promptLen);
    }

    /// <summary>Residual stream entering step <paramref name="k"/> of the current prefill, [T, d] (routers read this).</summary>
    public ReadOnlySpan<float> HiddenEnteringStep(int k)
    {
        int done = _inPrefill ? _stepCount : _pathLen;
        if (k < 0 || k > done) throw new ArgumentOutOfRangeException(nameof(k), $"step {k} not computed; 0..{done} are");
        if (k == done && _inPrefill) Flush();
        if (k == done && _lastStepPartial)
            throw new InvalidOperationException(
                "the hidden state after the whole path exists for the last prompt position only (FinishPrefill computes the " +
                "last step's output for that row): read it before FinishPrefill to get every row");
        return _run.Rows(k, _promptLen);
    }

    /// <summary>Ends the prefill; returns the last prompt position's logits [vocab].</summary>
    public ReadOnlySpan<float> FinishPrefill()
    {
        if (!_inPrefill) throw new InvalidOperationException("FinishPrefill without BeginPrefill");
        if (_stepCount == 0) throw new ArgumentException("layer path is empty: at least one block must run");
        _inPrefill = false;
        _prefilled = true;
        _pathLen = _stepCount;
        _pos = _promptLen;
        return _forward.Logits(RunLastStep(_pathLen - 1), 1);
    }

    /// <summary>Runs one new token through the current path at the next position; returns its logits [vocab].</summary>
    public ReadOnlySpan<float> DecodeStep(int token)
    {
        _oneToken[0] = token;
        return Extend(_oneToken, allLogits: false);
    }

    /// <summary>
    /// Runs tokens at positions Position.. through the current path (KV cache grows). Returns logits of the last token
    /// [vocab], or of every token [n, vocab] when <paramref name="allLogits"/>.
    /// </summary>
    public ReadOnlySpan<float> Extend(ReadOnlySpan<int> tokens, bool allLogits)
    {
        if (!_prefilled) throw new InvalidOperationException("decode before prefill: call Prefill first");
        int n = tokens.Length, p0 = _pos, g0 = p0 - _promptLen;
        if (n == 0) throw new ArgumentException("no tokens to extend with");
        CheckTokens(tokens);

        // Steps to reuse: a single token that matches the stored run at this position (and, by the invariant kept
        // below, at every earlier one) resumes at the first step not valid for it. Chunks are always recomputed.
        int start = n == 1 && ReusePrefix ? Math.Min(_run.ValidSteps(g0, tokens[0]), _pathLen) : 0;
        _forward.EnsurePositions(p0 + n);
        if (start == 0) Embed(tokens, p0);
        for (int s = start; s < _pathLen; s++) RunRows(s, p0, n);
        BlockRuns += _pathLen - start;
        BlockRunsSaved += start;
        _run.Record(g0, tokens, _pathLen, start);
        _pos += n;
        return _forward.Logits(_run.Row(_pathLen, allLogits ? p0 : _pos - 1), allLogits ? n : 1);
    }

    /// <summary>Forgets tokens after <paramref name="position"/> (≥ the prompt length), e.g. between scored candidates.</summary>
    public void Rewind(int position)
    {
        if (position < _promptLen || position > _pos)
            throw new ArgumentOutOfRangeException(nameof(position), $"rewind to {position}: must be within {_promptLen}..{_pos}");
        _pos = position;
    }

    /// <summary>Step <paramref name="k"/>'s block on rows p0..p0+n-1: hidden[k+1] = hidden[k] + block(hidden[k]).</summary>
    private void RunRows(int k, int p0, int n)
    {
        int d = _c.HiddenSize;
        var src = _run.Hidden(k, p0 + n);
        var dst = _run.Hidden(k + 1, p0 + n);
        long offset = (long)p0 * d, bytes = (long)n * d * 4;
        Buffer.MemoryCopy(src.Ptr + offset, dst.Ptr + offset, bytes, bytes);
        _forward.Run(_run.Blocks[k], k, dst.Ptr + offset, p0, n);
    }

    /// <summary>
    /// The prefill's last step, k, for the logits: its keys and values at every prompt position, its output at the last
    /// one only (in a scratch buffer, so a stored output stays as it was). A deferred step thereby leaves the stored run
    /// (its other rows were never computed); a reused one costs this part-block again and is counted as run.
    /// Returns the last row's output.
    /// </summary>
    private float* RunLastStep(int k)
    {
        int d = _c.HiddenSize;
        if (_pending)
        {
            _pending = false;
            _run.DropFrom(k);
            _lastStepPartial = true;
        }
        else if (_lastReused)
        {
            BlockRunsSaved--;
            BlockRuns++;
        }
        long bytes = (long)_promptLen * d * 4;
        _lastRows.Ensure((long)_promptLen * d);
        Buffer.MemoryCopy(_run.Row(k, 0), _lastRows.Ptr, bytes, bytes);
        _forward.Run(_run.Blocks[k], k, _lastRows.Ptr, 0, _promptLen, outRows: 1);
        return _lastRows.Ptr + (long)(_promptLen - 1) * d;
    }

    private void Embed(ReadOnlySpan<int> tokens, int p0)
    {
        int d = _c.HiddenSize;
        var h0 = _run.Hidden(0, p0 + tokens.Length);
        var embed = _model.Weights.Embed;
        for (int t = 0; t < tokens.Length; t++) embed.DequantizeRow(tokens[t], h0.Ptr + (long)(p0 + t) * d);
    }

    private void CheckTokens(ReadOnlySpan<int> tokens)
    {
        for (int i = 0; i < tokens.Length; i++)
            if ((uint)tokens[i] >= (uint)_c.VocabSize)
                throw new ArgumentException($"token {i} is {tokens[i]}; the vocabulary has ids 0..{_c.VocabSize - 1}");
    }

    public void Dispose()
    {
        _run.Dispose();
        _lastRows.Dispose();
        _forward.Dispose();
    }
}
