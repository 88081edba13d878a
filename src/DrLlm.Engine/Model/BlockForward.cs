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
    private readonly NativeBuffer _xn = new(), _q = new(), _att = new(), _gate = new(), _up = new(), _scores = new(),
        _logits = new();

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
        Matmul.Linear(_model.Pool, _xn.Ptr, rows, _model.Weights.LmHead, _logits.Ptr);
        var logits = new ReadOnlySpan<float>(_logits.Ptr, rows * vocab);
        FiniteValues.CheckLogits(logits, rows);
        return logits;
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
        _up.Ensure((long)n * ffn);
        _scores.Ensure((long)n * positions);

        float* xn = _xn.Ptr, q = _q.Ptr, att = _att.Ptr;
        float* kNew = kc.Ptr + (long)pos0 * kvDim, vNew = vc.Ptr + (long)pos0 * kvDim;

        // Attention
        Ops.RmsNorm(new ReadOnlySpan<float>(x, n * d), new ReadOnlySpan<float>(w.AttnNorm, d), new Span<float>(xn, n * d), d, eps);
        // Q, K and V read the same input: one loop over their rows together (K and V straight into the cache).
        var qkv = stackalloc LinearOutput[3]
        {
            new(w.Wq, q, qDim), new(w.Wk, kNew, kvDim), new(w.Wv, vNew, kvDim),
        };
        Matmul.Linear(_model.Pool, xn, n, qkv, 3);
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
        Matmul.Linear(_model.Pool, att, m, w.Wo, x, beta: 1f); // x += att · Woᵀ

        // MLP: x += Wdown · (silu(Wgate · h) ⊙ Wup · h), h = RMSNorm(x)
        Ops.RmsNorm(new ReadOnlySpan<float>(x, m * d), new ReadOnlySpan<float>(w.FfnNorm, d), new Span<float>(xn, m * d), d, eps);
        var gateUp = stackalloc LinearOutput[2] { new(w.WGate, _gate.Ptr, ffn), new(w.WUp, _up.Ptr, ffn) };
        Matmul.Linear(_model.Pool, xn, m, gateUp, 2);
        Ops.SwiGlu(new Span<float>(_gate.Ptr, m * ffn), new ReadOnlySpan<float>(_up.Ptr, m * ffn));
        Matmul.Linear(_model.Pool, _gate.Ptr, m, w.WDown, x, beta: 1f);
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
        _xn.Dispose(); _q.Dispose(); _att.Dispose(); _gate.Dispose(); _up.Dispose(); _scores.Dispose();
        _logits.Dispose();
    }
}
