using System.Numerics.Tensors;
using DrLlm.Engine.Kernels;

namespace DrLlm.Engine.Model;

/// <summary>
/// The maths of one forward pass, llama2.c style: a transformer block over a chunk of rows, and the LM head, with the
/// scratch buffers they need (grown to the largest chunk seen, never per token). Which blocks run in which order, and
/// what is reused, is <see cref="InferenceSession"/>'s business; this class only computes.
/// </summary>
internal sealed unsafe class BlockForward(Decoder model, KvCache cache) : IDisposable
{
    private readonly Decoder _model = model;
    private readonly ModelConfig _c = model.Config;
    private readonly KvCache _cache = cache;
    private readonly RopeTable _rope = new(model.InvFreq);
    private readonly NativeBuffer _xn = new(), _q = new(), _qkv = new(), _att = new(), _gate = new(), _up = new(),
        _scores = new(), _logits = new();

    /// <summary>Makes the rope table cover positions 0..positions-1.</summary>
    public void EnsurePositions(int positions) => _rope.EnsureCapacity(positions);

    /// <summary>final RMSNorm, then the LM head over <paramref name="rows"/> rows of x → [rows, vocab].</summary>
    public ReadOnlySpan<float> Logits(float* x, int rows)
    {
        int d = _c.HiddenSize, vocab = _c.VocabSize;
        _xn.Ensure((long)rows * d);
        _logits.Ensure((long)rows * vocab);
        Ops.RmsNorm(new ReadOnlySpan<float>(x, rows * d), new ReadOnlySpan<float>(_model.Weights.FinalNorm, d),
            new Span<float>(_xn.Ptr, rows * d), d, _c.RmsNormEps);
        Linear(_xn.Ptr, rows, d, _model.Weights.LmHead, vocab, _logits.Ptr);
        var logits = new ReadOnlySpan<float>(_logits.Ptr, rows * vocab);
        FiniteValues.CheckLogits(logits, rows);
        return logits;
    }

    /// <summary>
    /// Y[n, outDim] = X[n, k]·Wᵀ (+ beta·Y). Prompt chunks go to OpenBLAS's GEMM split over the pool by columns; a single
    /// decoded token goes to the pool's GEMV, which streams the weights faster than OpenBLAS's sgemv at these sizes.
    /// </summary>
    private void Linear(float* x, int n, int k, float* w, int outDim, float* y, float beta = 0f)
    {
        if (n == 1) Gemv.Run(_model.Pool, w, outDim, k, x, y, beta);
        else Blas.Linear(_model.Pool, x, n, k, w, outDim, y, beta);
    }

    /// <summary>
    /// One transformer block on x [n, d] in place, tokens at positions pos0..pos0+n-1, using and extending the KV cache
    /// of path step <paramref name="step"/>. Pre-norm LLaMA block: x += Attn(RMSNorm(x)); x += SwiGLU-MLP(RMSNorm(x)).
    /// With <paramref name="outRows"/> &lt; n, keys and values are computed for all n rows but the block's output only for
    /// the last outRows (the others keep their input): enough for the last step of a prefill, whose output matters at the
    /// last position only.
    /// </summary>
    public void Run(int block, int step, float* x, int pos0, int n, int outRows = -1)
    {
        int m = outRows < 0 ? n : outRows, r0 = n - m;
        if (m < 1 || m > n) throw new ArgumentOutOfRangeException(nameof(outRows), $"output rows {outRows}: must be 1..{n}");
        ref readonly var w = ref _model.Weights.Block(block);
        int d = _c.HiddenSize, qDim = _c.QDim, kvDim = _c.KvDim, hd = _c.HeadDim, ffn = _c.IntermediateSize;
        int heads = _c.NumHeads, kvHeads = _c.NumKvHeads, positions = pos0 + n;
        float eps = _c.RmsNormEps;

        var (kc, vc) = _cache.Ensure(step, positions);
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

        // One token's heads are short loops, run one after another; a prompt chunk's heads (two small GEMMs each) are
        // split over the pool, each part with its own scores scratch. A head's bits do not depend on the part it runs in.
        int group = heads / kvHeads;
        float* qOut = q + (long)r0 * qDim;
        if (m == 1)
        {
            for (int h = 0; h < heads; h++)
                Ops.AttentionOneToken(qOut + h * hd, kc.Ptr + h / group * hd, vc.Ptr + h / group * hd, kvDim, att + h * hd, pos0 + r0, hd, _scores.Ptr);
        }
        else
        {
            long scratch = (long)m * positions;
            _scores.Ensure(scratch * _model.Pool.Threads);
            var a = new HeadsArgs
            {
                Q = qOut, K = kc.Ptr, V = vc.Ptr, Out = att, Scores = _scores.Ptr, ScoresPerPart = scratch,
                Heads = heads, Group = group, Hd = hd, QDim = qDim, KvDim = kvDim, Rows = m, Pos0 = pos0 + r0,
            };
            _model.Pool.Run(&HeadsPart, (nint)(&a));
        }

        x += (long)r0 * d; // from here on, only the rows whose output is wanted
        Linear(att, m, qDim, w.Wo, d, x, beta: 1f); // x += att · Woᵀ

        // MLP
        Ops.RmsNorm(new ReadOnlySpan<float>(x, m * d), new ReadOnlySpan<float>(w.FfnNorm, d), new Span<float>(xn, m * d), d, eps);
        if (w.WGateUp != null)
        {
            // One product gives rows [gate | up]; SwiGLU writes into the gate half, and the down projection reads those
            // halves with a row stride of 2·ffn.
            _gate.Ensure((long)m * 2 * ffn);
            Linear(xn, m, d, w.WGateUp, 2 * ffn, _gate.Ptr);
            for (int t = 0; t < m; t++)
            {
                float* row = _gate.Ptr + (long)t * 2 * ffn;
                Ops.SwiGlu(new Span<float>(row, ffn), new ReadOnlySpan<float>(row + ffn, ffn));
            }
            if (m == 1) Linear(_gate.Ptr, 1, ffn, w.WDown, d, x, beta: 1f);
            else Blas.Gemm(_model.Pool, false, true, m, d, ffn, 1f, _gate.Ptr, 2 * ffn, w.WDown, ffn, 1f, x, d);
        }
        else
        {
            Linear(xn, m, d, w.WGate, ffn, _gate.Ptr);
            Linear(xn, m, d, w.WUp, ffn, _up.Ptr);
            Ops.SwiGlu(new Span<float>(_gate.Ptr, m * ffn), new ReadOnlySpan<float>(_up.Ptr, m * ffn));
            Linear(_gate.Ptr, m, ffn, w.WDown, d, x, beta: 1f); // x += h · Wdownᵀ
        }
    }

    private struct HeadsArgs
    {
        public float* Q, K, V, Out, Scores;
        public long ScoresPerPart;
        public int Heads, Group, Hd, QDim, KvDim, Rows, Pos0;
    }

    private static void HeadsPart(nint state, int part, int parts)
    {
        ref var a = ref *(HeadsArgs*)state;
        int h0 = a.Heads * part / parts, h1 = a.Heads * (part + 1) / parts;
        float* scores = a.Scores + part * a.ScoresPerPart;
        for (int h = h0; h < h1; h++)
        {
            int g = h / a.Group;
            Ops.AttentionHead(a.Q + h * a.Hd, a.QDim, a.K + g * a.Hd, a.V + g * a.Hd, a.KvDim, a.Out + h * a.Hd, a.QDim,
                a.Rows, a.Pos0, a.Hd, scores);
        }
    }

    private static void AddBias(float* y, int rows, int cols, float* bias)
    {
        var b = new ReadOnlySpan<float>(bias, cols);
        for (int r = 0; r < rows; r++)
        {
            var row = new Span<float>(y + (long)r * cols, cols);
            TensorPrimitives.Add(row, b, row);
        }
    }

    public void Dispose()
    {
        _xn.Dispose(); _q.Dispose(); _qkv.Dispose(); _att.Dispose(); _gate.Dispose(); _up.Dispose(); _scores.Dispose();
        _logits.Dispose();
    }
}
