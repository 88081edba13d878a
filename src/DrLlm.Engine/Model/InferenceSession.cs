using DrLlm.Engine.Kernels;

namespace DrLlm.Engine.Model;

/// <summary>
/// One sequence's state: the prompt's residual stream entering every path step, a KV cache per path *step* (a
/// repeated block owns two entries, METHOD.md), scratch buffers and counters.
///
/// A prefill runs step by step (<see cref="BeginPrefill"/>, <see cref="RunStep"/>, <see cref="FinishPrefill"/>), so a
/// router can choose each block after seeing the hidden state entering it. Prefix reuse falls out of that shape: when a
/// new prefill has the same prompt and its first k steps name the same blocks as the stored ones, those steps' outputs
/// and KV entries are still exact (a step depends only on the steps before it) and are reused, not recomputed.
/// After the prefill, <see cref="DecodeStep"/> and <see cref="Extend"/> run further tokens through the same path.
/// </summary>
public sealed unsafe class InferenceSession : IDisposable
{
    private readonly Decoder _model;
    private readonly ModelConfig _c;
    private readonly RopeTable _rope;
    private readonly int _maxSteps;

    // Stored prefill: prompt tokens, the block run at each step, and hidden[k] = residual entering step k, [T, d].
    private int[] _prompt = [];
    private readonly int[] _stepBlocks;
    private readonly int[] _oneToken = new int[1];
    private int _storedSteps;
    private readonly NativeBuffer?[] _hidden;
    private readonly NativeBuffer?[] _k, _v; // per step: [positions, kvDim]

    // Current sequence.
    private int _promptLen, _stepCount, _pathLen, _pos;
    private bool _inPrefill, _reusing, _prefilled;

    // Scratch, sized for the largest chunk seen.
    private readonly NativeBuffer _xn = new(), _q = new(), _qkv = new(), _att = new(), _gate = new(), _up = new(), _scores = new(),
        _x = new(), _logits = new();

    /// <summary>Block executions (per token chunk) run by prefills so far.</summary>
    public long BlockRuns { get; private set; }
    /// <summary>Block executions prefills skipped by reusing a stored prefix.</summary>
    public long BlockRunsSaved { get; private set; }
    /// <summary>
    /// Whether a prefill may reuse stored steps (default true). Off, every prefill recomputes every step: the baseline
    /// that prefix reuse is measured against.
    /// </summary>
    public bool ReusePrefix { get; set; } = true;
    public int Position => _pos;
    public int PromptLength => _promptLen;
    /// <summary>Blocks of the current path (valid once a prefill has finished, or the steps run so far during one).</summary>
    public ReadOnlySpan<int> PathSteps => _stepBlocks.AsSpan(0, _inPrefill ? _stepCount : _pathLen);
    public ModelConfig Config => _c;

    internal InferenceSession(Decoder model)
    {
        _model = model;
        _c = model.Config;
        _rope = new RopeTable(model.InvFreq);
        _maxSteps = 2 * _c.NumLayers;
        _stepBlocks = new int[_maxSteps];
        _hidden = new NativeBuffer?[_maxSteps + 1];
        _k = new NativeBuffer?[_maxSteps];
        _v = new NativeBuffer?[_maxSteps];
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
        for (int i = 0; i < tokens.Length; i++)
            if ((uint)tokens[i] >= (uint)_c.VocabSize)
                throw new ArgumentException($"token {i} is {tokens[i]}; the vocabulary has ids 0..{_c.VocabSize - 1}");
        int d = _c.HiddenSize;
        if (!ReusePrefix || !tokens.SequenceEqual(_prompt))
        {
            _prompt = tokens.ToArray();
            _storedSteps = 0;
            var h0 = Hidden(0, tokens.Length);
            for (int t = 0; t < tokens.Length; t++)
                new ReadOnlySpan<float>(_model.Weights.Embed + (long)tokens[t] * d, d).CopyTo(h0.Span((long)t * d, d));
        }
        _promptLen = tokens.Length;
        _stepCount = 0;
        _reusing = true;
        _inPrefill = true;
        _prefilled = false;
        _rope.EnsureCapacity(_promptLen);
    }

    /// <summary>Runs (or reuses) <paramref name="block"/> as the next step of the prefill.</summary>
    public void RunStep(int block)
    {
        if (!_inPrefill) throw new InvalidOperationException("RunStep outside a prefill: call BeginPrefill first");
        if ((uint)block >= (uint)_c.NumLayers)
            throw new ArgumentException($"layer path step {_stepCount} is block {block}; the model has blocks 0..{_c.NumLayers - 1}");
        int k = _stepCount;
        if (k >= _maxSteps) throw new ArgumentException($"layer path exceeds 2L = {_maxSteps} steps");
        if (k > 0 && block < _stepBlocks[k - 1])
            throw new ArgumentException($"layer path step {k} goes back from block {_stepBlocks[k - 1]} to {block}");
        if (k > 1 && block == _stepBlocks[k - 1] && block == _stepBlocks[k - 2])
            throw new ArgumentException($"layer path runs block {block} more than twice (step {k})");

        if (_reusing && k < _storedSteps && _stepBlocks[k] == block)
        {
            _stepCount++;
            BlockRunsSaved++;
            return;
        }
        _reusing = false;
        int n = _promptLen, d = _c.HiddenSize;
        var src = _hidden[k]!;
        var dst = Hidden(k + 1, n);
        Buffer.MemoryCopy(src.Ptr, dst.Ptr, dst.Capacity * 4, (long)n * d * 4);
        _stepBlocks[k] = block;
        _storedSteps = k + 1;
        ForwardBlock(block, k, dst.Ptr, 0, n);
        _stepCount++;
        BlockRuns++;
    }

    /// <summary>Residual stream entering step <paramref name="k"/> of the current prefill, [T, d] (routers read this).</summary>
    public ReadOnlySpan<float> HiddenEnteringStep(int k)
    {
        int done = _inPrefill ? _stepCount : _pathLen;
        if (k < 0 || k > done) throw new ArgumentOutOfRangeException(nameof(k), $"step {k} not computed; 0..{done} are");
        return _hidden[k]!.Span(0, _promptLen * _c.HiddenSize);
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
        var last = _hidden[_pathLen]!.Ptr + (long)(_promptLen - 1) * _c.HiddenSize;
        return Logits(last, 1);
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
        int n = tokens.Length, d = _c.HiddenSize;
        if (n == 0) throw new ArgumentException("no tokens to extend with");
        _x.Ensure((long)n * d);
        for (int t = 0; t < n; t++)
        {
            if ((uint)tokens[t] >= (uint)_c.VocabSize)
                throw new ArgumentException($"token {t} is {tokens[t]}; the vocabulary has ids 0..{_c.VocabSize - 1}");
            Buffer.MemoryCopy(_model.Weights.Embed + (long)tokens[t] * d, _x.Ptr + (long)t * d, d * 4, d * 4);
        }
        _rope.EnsureCapacity(_pos + n);
        for (int s = 0; s < _pathLen; s++) ForwardBlock(_stepBlocks[s], s, _x.Ptr, _pos, n);
        _pos += n;
        return allLogits ? Logits(_x.Ptr, n) : Logits(_x.Ptr + (long)(n - 1) * d, 1);
    }

    /// <summary>Forgets tokens after <paramref name="position"/> (≥ the prompt length), e.g. between scored candidates.</summary>
    public void Rewind(int position)
    {
        if (position < _promptLen || position > _pos)
            throw new ArgumentOutOfRangeException(nameof(position), $"rewind to {position}: must be within {_promptLen}..{_pos}");
        _pos = position;
    }

    /// <summary>final RMSNorm, then the LM head over <paramref name="rows"/> rows of x → [rows, vocab].</summary>
    private ReadOnlySpan<float> Logits(float* x, int rows)
    {
        int d = _c.HiddenSize, vocab = _c.VocabSize;
        _xn.Ensure((long)rows * d);
        _logits.Ensure((long)rows * vocab);
        Ops.RmsNorm(new ReadOnlySpan<float>(x, rows * d), new ReadOnlySpan<float>(_model.Weights.FinalNorm, d),
            new Span<float>(_xn.Ptr, rows * d), d, _c.RmsNormEps);
        Linear(_xn.Ptr, rows, d, _model.Weights.LmHead, vocab, _logits.Ptr);
        return new ReadOnlySpan<float>(_logits.Ptr, rows * vocab);
    }

    /// <summary>
    /// Y[n, outDim] = X[n, k]·Wᵀ (+ beta·Y). Prompt chunks go to OpenBLAS's GEMM; a single decoded token goes to the
    /// pool's GEMV, which streams the weights faster than OpenBLAS's sgemv at these sizes (Gemv's comment).
    /// </summary>
    private void Linear(float* x, int n, int k, float* w, int outDim, float* y, float beta = 0f)
    {
        if (n == 1) Gemv.Run(_model.Pool, w, outDim, k, x, y, beta);
        else Blas.Linear(x, n, k, w, outDim, y, beta);
    }

    private NativeBuffer Hidden(int k, int tokens)
    {
        var b = _hidden[k] ??= new NativeBuffer();
        b.Ensure((long)tokens * _c.HiddenSize);
        return b;
    }

    /// <summary>
    /// One transformer block on x [n, d] in place, tokens at positions pos0..pos0+n-1, using and extending the KV cache
    /// of path step <paramref name="step"/>. Pre-norm LLaMA block: x += Attn(RMSNorm(x)); x += SwiGLU-MLP(RMSNorm(x)).
    /// </summary>
    private void ForwardBlock(int block, int step, float* x, int pos0, int n)
    {
        ref readonly var w = ref _model.Weights.Block(block);
        int d = _c.HiddenSize, qDim = _c.QDim, kvDim = _c.KvDim, hd = _c.HeadDim, ffn = _c.IntermediateSize;
        int heads = _c.NumHeads, kvHeads = _c.NumKvHeads, positions = pos0 + n;
        float eps = _c.RmsNormEps;

        var kc = _k[step] ??= new NativeBuffer();
        var vc = _v[step] ??= new NativeBuffer();
        kc.Ensure((long)positions * kvDim);
        vc.Ensure((long)positions * kvDim);
        _xn.Ensure((long)n * d);
        _q.Ensure((long)n * qDim);
        _att.Ensure((long)n * qDim);
        _gate.Ensure((long)n * ffn);
        if (w.WGateUp == null) _up.Ensure((long)n * ffn);
        _scores.Ensure((long)n * positions);

        float* xn = _xn.Ptr, q = _q.Ptr, att = _att.Ptr;
        float* kNew = kc.Ptr + (long)pos0 * kvDim, vNew = vc.Ptr + (long)pos0 * kvDim;

        // Attention
        Ops.RmsNorm(new ReadOnlySpan<float>(x, n * d), new ReadOnlySpan<float>(w.AttnNorm, d), new Span<float>(xn, n * d), d, eps);
        if (w.Wqkv != null)
        {
            int qkv = qDim + 2 * kvDim;
            _qkv.Ensure((long)n * qkv);
            Linear(xn, n, d, w.Wqkv, qkv, _qkv.Ptr);
            for (int t = 0; t < n; t++)
            {
                float* row = _qkv.Ptr + (long)t * qkv;
                Buffer.MemoryCopy(row, q + (long)t * qDim, qDim * 4L, qDim * 4L);
                Buffer.MemoryCopy(row + qDim, kNew + (long)t * kvDim, kvDim * 4L, kvDim * 4L);
                Buffer.MemoryCopy(row + qDim + kvDim, vNew + (long)t * kvDim, kvDim * 4L, kvDim * 4L);
            }
        }
        else
        {
            Linear(xn, n, d, w.Wq, qDim, q);
            Linear(xn, n, d, w.Wk, kvDim, kNew);
            Linear(xn, n, d, w.Wv, kvDim, vNew);
        }
        if (w.Bq != null)
        {
            AddBias(q, n, qDim, w.Bq);
            AddBias(kNew, n, kvDim, w.Bk);
            AddBias(vNew, n, kvDim, w.Bv);
        }
        if (w.QNorm != null)
        {
            // Qwen3: RMSNorm over each head's hd values before rope.
            Ops.RmsNorm(new ReadOnlySpan<float>(q, n * qDim), new ReadOnlySpan<float>(w.QNorm, hd), new Span<float>(q, n * qDim), hd, eps);
            Ops.RmsNorm(new ReadOnlySpan<float>(kNew, n * kvDim), new ReadOnlySpan<float>(w.KNorm, hd), new Span<float>(kNew, n * kvDim), hd, eps);
        }
        Ops.Rope(new Span<float>(q, n * qDim), n, heads, hd, pos0, _rope);
        Ops.Rope(new Span<float>(kNew, n * kvDim), n, kvHeads, hd, pos0, _rope);

        // Heads run one after another: for a prompt chunk each is two BLAS calls and OpenBLAS owns the threads (a
        // second pool here would fight OpenBLAS's spinning workers for the same cores); one token's is a short loop.
        int group = heads / kvHeads;
        for (int h = 0; h < heads; h++)
        {
            int g = h / group;
            if (n == 1) Ops.AttentionOneToken(q + h * hd, kc.Ptr + g * hd, vc.Ptr + g * hd, kvDim, att + h * hd, pos0, hd, _scores.Ptr);
            else Ops.AttentionHead(q + h * hd, qDim, kc.Ptr + g * hd, vc.Ptr + g * hd, kvDim, att + h * hd, qDim, n, pos0, hd, _scores.Ptr);
        }

        Linear(att, n, qDim, w.Wo, d, x, beta: 1f); // x += att · Woᵀ

        // MLP
        Ops.RmsNorm(new ReadOnlySpan<float>(x, n * d), new ReadOnlySpan<float>(w.FfnNorm, d), new Span<float>(xn, n * d), d, eps);
        if (w.WGateUp != null)
        {
            // One product gives rows [gate | up]; SwiGLU writes into the gate half, and the down projection reads those
            // halves with a row stride of 2·ffn.
            _gate.Ensure((long)n * 2 * ffn);
            Linear(xn, n, d, w.WGateUp, 2 * ffn, _gate.Ptr);
            for (int t = 0; t < n; t++)
            {
                float* row = _gate.Ptr + (long)t * 2 * ffn;
                Ops.SwiGlu(new Span<float>(row, ffn), new ReadOnlySpan<float>(row + ffn, ffn));
            }
            if (n == 1) Linear(_gate.Ptr, 1, ffn, w.WDown, d, x, beta: 1f);
            else Blas.Gemm(false, true, n, d, ffn, 1f, _gate.Ptr, 2 * ffn, w.WDown, ffn, 1f, x, d);
        }
        else
        {
            Linear(xn, n, d, w.WGate, ffn, _gate.Ptr);
            Linear(xn, n, d, w.WUp, ffn, _up.Ptr);
            Ops.SwiGlu(new Span<float>(_gate.Ptr, n * ffn), new ReadOnlySpan<float>(_up.Ptr, n * ffn));
            Linear(_gate.Ptr, n, ffn, w.WDown, d, x, beta: 1f); // x += h · Wdownᵀ
        }
    }

    private static void AddBias(float* y, int rows, int cols, float* bias)
    {
        var b = new ReadOnlySpan<float>(bias, cols);
        for (int r = 0; r < rows; r++)
        {
            var row = new Span<float>(y + (long)r * cols, cols);
            System.Numerics.Tensors.TensorPrimitives.Add(row, b, row);
        }
    }

    public void Dispose()
    {
        foreach (var b in _hidden) b?.Dispose();
        foreach (var b in _k) b?.Dispose();
        foreach (var b in _v) b?.Dispose();
        _xn.Dispose(); _q.Dispose(); _qkv.Dispose(); _att.Dispose(); _gate.Dispose(); _up.Dispose(); _scores.Dispose(); _x.Dispose(); _logits.Dispose();
    }
}
