using DrLlm.Engine.Kernels;
using DrLlm.Engine.Model;

namespace DrLlm.Pretrain.Model;

/// <summary>
/// A LLaMA decoder that trains: parameters and gradients in two flat buffers with the named views of
/// <see cref="ParameterLayout"/>, activations for a fixed (batch B, sequence T) in a third, allocated once, and a
/// forward and a backward pass that read top to bottom (llm.c's gpt2_forward / gpt2_backward; the block is HF
/// modeling_llama's LlamaDecoderLayer: x += Attn(RMSNorm(x)); x += MLP(RMSNorm(x))).
/// </summary>
public sealed unsafe class Transformer : IDisposable
{
    public ModelConfig Config { get; }
    public ParameterLayout Layout { get; }
    public int Batch { get; }
    public int SeqLen { get; }
    public NativeBuffer Params { get; }
    public NativeBuffer Grads { get; }

    private readonly NativeBuffer _acts, _gradActs;
    private readonly RopeTable _rope;
    private readonly int[] _inputs, _targets;
    private readonly float[] _mask;
    private readonly bool[] _dropped;
    private double _lossNormalizer;
    private readonly int _n, _d, _qd, _kvd, _f, _v, _h, _kvh, _hd, _layers;

    // Activation offsets (floats) in _acts: per-layer arrays are [L, ...] back to back.
    private readonly long _x, _mid, _ln1, _rstd1, _q, _k, _vv, _att, _probs, _ln2, _rstd2, _gate, _up, _hid, _lnf, _rstdf, _logits, _ce;
    // Gradient scratch offsets in _gradActs, reused by every layer (the residual stream's gradient is one buffer).
    private readonly long _dres, _dln, _dq, _dk, _dv, _datt, _dscores, _dgate, _dup, _dhid, _dlogits;

    /// <summary>Runs every matrix product and the attention heads (threads: 0 = one per core).</summary>
    public WorkerPool Pool { get; }

    public Transformer(ModelConfig config, int batch, int seqLen, int threads = 0)
    {
        if (batch < 1 || seqLen < 1) throw new ArgumentException($"batch and sequence length must be ≥ 1, got {batch} and {seqLen}");
        if (seqLen > config.MaxPositionEmbeddings)
            throw new ArgumentException($"sequence length {seqLen} exceeds max_position_embeddings {config.MaxPositionEmbeddings}");
        Config = config;
        Layout = new ParameterLayout(config);
        Batch = batch;
        SeqLen = seqLen;
        (_n, _d, _qd, _kvd, _f, _v) = (batch * seqLen, config.HiddenSize, config.QDim, config.KvDim, config.IntermediateSize, config.VocabSize);
        (_h, _kvh, _hd, _layers) = (config.NumHeads, config.NumKvHeads, config.HeadDim, config.NumLayers);
        Params = Zeroed(Layout.Count);
        Grads = Zeroed(Layout.Count);
        _rope = new RopeTable(RopeFrequencies.Compute(config));
        _rope.EnsureCapacity(seqLen);
        Blas.EnsureAvailable();
        Pool = new WorkerPool(threads > 0 ? threads : Environment.ProcessorCount);
        _inputs = new int[_n];
        _targets = new int[_n];
        _mask = new float[_n];
        _dropped = new bool[_layers];

        long n = _n, L = _layers, size = 0;
        long Take(long count) { long at = size; size += (count + 15) / 16 * 16; return at; }
        _x = Take((L + 1) * n * _d);
        _mid = Take(L * n * _d);
        _ln1 = Take(L * n * _d);
        _rstd1 = Take(L * n);
        _q = Take(L * n * _qd);
        _k = Take(L * n * _kvd);
        _vv = Take(L * n * _kvd);
        _att = Take(L * n * _qd);
        _probs = Take(L * batch * _h * (long)seqLen * seqLen);
        _ln2 = Take(L * n * _d);
        _rstd2 = Take(L * n);
        _gate = Take(L * n * _f);
        _up = Take(L * n * _f);
        _hid = Take(L * n * _f);
        _lnf = Take(n * _d);
        _rstdf = Take(n);
        _logits = Take(n * _v);
        _ce = Take(n * _v);
        _acts = Zeroed(size);

        size = 0;
        _dres = Take(n * _d);
        _dln = Take(n * _d);
        _dq = Take(n * _qd);
        _dk = Take(n * _kvd);
        _dv = Take(n * _kvd);
        _datt = Take(n * _qd);
        _dscores = Take((long)batch * _kvh * seqLen * seqLen);
        _dgate = Take(n * _f);
        _dup = Take(n * _f);
        _dhid = Take(n * _f);
        _dlogits = Take(n * _v);
        _gradActs = Zeroed(size);
    }

    private static NativeBuffer Zeroed(long floats)
    {
        var b = new NativeBuffer(floats); // aligned native memory arrives uninitialised
        Clear(b.Ptr, floats);
        return b;
    }

    /// <summary>Activation memory in bytes (for the progress line).</summary>
    public long ActivationBytes => (_acts.Capacity + _gradActs.Capacity) * 4;

    /// <summary>
    /// GPT-2 / llm.c initialisation: matrices ~ N(0, 0.02²), the two projections that write into the residual stream
    /// (o_proj, down_proj) ~ N(0, (0.02/√(2L))²) so the stream's variance does not grow with depth, norm gains 1.
    /// One seeded stream in layout order.
    /// </summary>
    public void InitializeWeights(int seed)
    {
        var rng = new Random(seed);
        float residualStd = 0.02f / MathF.Sqrt(2f * _layers);
        foreach (var t in Layout.Tensors)
        {
            var span = new Span<float>(Params.Ptr + t.Offset, checked((int)t.Count));
            if (!t.IsMatrix) { span.Fill(1f); continue; }
            float std = t.Name.EndsWith("o_proj.weight", StringComparison.Ordinal) || t.Name.EndsWith("down_proj.weight", StringComparison.Ordinal)
                ? residualStd : 0.02f;
            for (int i = 0; i < span.Length; i += 2)
            {
                double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble(), r = Math.Sqrt(-2.0 * Math.Log(u1));
                span[i] = std * (float)(r * Math.Cos(2 * Math.PI * u2));
                if (i + 1 < span.Length) span[i + 1] = std * (float)(r * Math.Sin(2 * Math.PI * u2));
            }
        }
    }

    /// <summary>Logits [B·T, V] of the last <see cref="Forward"/>.</summary>
    public ReadOnlySpan<float> Logits => new(_acts.Ptr + _logits, _n * _v);

    /// <summary>
    /// Forward over inputs [B·T] (B sequences of T tokens, each starting at position 0). With targets and a loss mask
    /// (1 = this target counts) it returns the mean loss over counted targets (0 when none count) and keeps what the
    /// backward needs; without, it only computes <see cref="Logits"/> and returns NaN. A block <paramref name="dropped"/>
    /// names (one flag per block; empty: none) is the identity, x_{l+1} = x_l (layer drop), and <see cref="Backward"/>
    /// passes the gradient through it, leaving its parameters' gradients as they were.
    /// </summary>
    public double Forward(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets = default, ReadOnlySpan<float> mask = default,
        ReadOnlySpan<bool> dropped = default)
    {
        if (inputs.Length != _n) throw new ArgumentException($"inputs hold {inputs.Length} tokens; batch·seq = {_n} expected");
        if (!dropped.IsEmpty && dropped.Length != _layers) throw new ArgumentException($"dropped holds {dropped.Length} flags; {_layers} blocks");
        foreach (int tok in inputs)
            if ((uint)tok >= (uint)_v) throw new ArgumentException($"token {tok} is outside the vocabulary 0..{_v - 1}");
        inputs.CopyTo(_inputs);
        if (dropped.IsEmpty) Array.Clear(_dropped);
        else dropped.CopyTo(_dropped);
        float* p = Params.Ptr, a = _acts.Ptr;
        var c = Config;
        Layers.EmbeddingForward(a + _x, p + Layout.Embed, inputs, _d);
        for (int l = 0; l < _layers; l++)
        {
            var w = Layout.Blocks[l];
            float* x = a + _x + (long)l * _n * _d, mid = a + _mid + (long)l * _n * _d, xNext = x + (long)_n * _d;
            float* ln1 = a + _ln1 + (long)l * _n * _d, rstd1 = a + _rstd1 + (long)l * _n;
            float* q = a + _q + (long)l * _n * _qd, k = a + _k + (long)l * _n * _kvd, v = a + _vv + (long)l * _n * _kvd;
            float* att = a + _att + (long)l * _n * _qd, probs = a + _probs + (long)l * Batch * _h * SeqLen * SeqLen;
            float* ln2 = a + _ln2 + (long)l * _n * _d, rstd2 = a + _rstd2 + (long)l * _n;
            float* gate = a + _gate + (long)l * _n * _f, up = a + _up + (long)l * _n * _f, hid = a + _hid + (long)l * _n * _f;
            if (_dropped[l])
            {
                Buffer.MemoryCopy(x, xNext, _n * _d * 4L, _n * _d * 4L);
                continue;
            }

            Layers.RmsNormForward(ln1, rstd1, x, p + w.AttnNorm, _n, _d, c.RmsNormEps);
            Layers.LinearForward(Pool, q, ln1, p + w.Wq, _n, _d, _qd);
            Layers.LinearForward(Pool, k, ln1, p + w.Wk, _n, _d, _kvd);
            Layers.LinearForward(Pool, v, ln1, p + w.Wv, _n, _d, _kvd);
            Layers.RopeForward(q, Batch, SeqLen, _h, _hd, _rope);
            Layers.RopeForward(k, Batch, SeqLen, _kvh, _hd, _rope);
            Layers.AttentionForward(Pool, att, probs, q, k, v, Batch, SeqLen, _h, _kvh, _hd);
            Buffer.MemoryCopy(x, mid, _n * _d * 4L, _n * _d * 4L);
            Blas.Gemm(Pool, false, true, _n, _d, _qd, 1f, att, _qd, p + w.Wo, _qd, 1f, mid, _d); // mid = x + att·Woᵀ

            Layers.RmsNormForward(ln2, rstd2, mid, p + w.FfnNorm, _n, _d, c.RmsNormEps);
            Layers.LinearForward(Pool, gate, ln2, p + w.WGate, _n, _d, _f);
            Layers.LinearForward(Pool, up, ln2, p + w.WUp, _n, _d, _f);
            Layers.SwiGluForward(hid, gate, up, (long)_n * _f);
            Buffer.MemoryCopy(mid, xNext, _n * _d * 4L, _n * _d * 4L);
            Blas.Gemm(Pool, false, true, _n, _d, _f, 1f, hid, _f, p + w.WDown, _f, 1f, xNext, _d); // x' = mid + h·Wdownᵀ
        }
        float* xL = a + _x + (long)_layers * _n * _d;
        Layers.RmsNormForward(a + _lnf, a + _rstdf, xL, p + Layout.FinalNorm, _n, _d, c.RmsNormEps);
        Layers.LinearForward(Pool, a + _logits, a + _lnf, p + Layout.LmHead, _n, _d, _v);
        _lossNormalizer = 0; // a backward after a logits-only forward has nothing to do
        if (targets.IsEmpty) return double.NaN;

        if (targets.Length != _n || mask.Length != _n)
            throw new ArgumentException($"targets ({targets.Length}) and mask ({mask.Length}) must hold batch·seq = {_n} values");
        targets.CopyTo(_targets);
        mask.CopyTo(_mask);
        double counted = 0;
        foreach (float m in mask) counted += m;
        _lossNormalizer = counted;
        double sum = Layers.CrossEntropyForward(a + _ce, a + _logits, targets, mask, _v);
        return counted > 0 ? sum / counted : 0;
    }

    /// <summary>Sets every gradient to zero (before the first micro-batch of a step).</summary>
    public void ZeroGrad() => Clear(Grads.Ptr, Layout.Count);

    /// <summary>
    /// Adds the gradient of (mean loss of the last <see cref="Forward"/>) × <paramref name="lossScale"/> to
    /// <see cref="Grads"/>; lossScale = 1/(micro-batches) under gradient accumulation.
    /// </summary>
    public void Backward(float lossScale = 1f)
    {
        if (_lossNormalizer <= 0) return; // nothing counted: the loss is a constant 0
        float* p = Params.Ptr, g = Grads.Ptr, a = _acts.Ptr, ga = _gradActs.Ptr;
        float* dres = ga + _dres, dln = ga + _dln, dq = ga + _dq, dk = ga + _dk, dv = ga + _dv, datt = ga + _datt;
        float* dgate = ga + _dgate, dup = ga + _dup, dhid = ga + _dhid, dlogits = ga + _dlogits;
        Clear(dlogits, (long)_n * _v);
        Layers.CrossEntropyBackward(dlogits, a + _ce, _targets, _mask, _v, (float)(lossScale / _lossNormalizer));
        Clear(dln, (long)_n * _d);
        Layers.LinearBackward(Pool, dln, g + Layout.LmHead, dlogits, a + _lnf, p + Layout.LmHead, _n, _d, _v);
        Clear(dres, (long)_n * _d);
        Layers.RmsNormBackward(dres, g + Layout.FinalNorm, dln, a + _x + (long)_layers * _n * _d, p + Layout.FinalNorm, a + _rstdf, _n, _d);

        for (int l = _layers - 1; l >= 0; l--)
        {
            if (_dropped[l]) continue; // the identity: ∂L/∂x_l = ∂L/∂x_{l+1}, already in dres
            var w = Layout.Blocks[l];
            float* x = a + _x + (long)l * _n * _d, mid = a + _mid + (long)l * _n * _d;
            float* ln1 = a + _ln1 + (long)l * _n * _d, rstd1 = a + _rstd1 + (long)l * _n;
            float* q = a + _q + (long)l * _n * _qd, k = a + _k + (long)l * _n * _kvd, v = a + _vv + (long)l * _n * _kvd;
            float* att = a + _att + (long)l * _n * _qd, probs = a + _probs + (long)l * Batch * _h * SeqLen * SeqLen;
            float* ln2 = a + _ln2 + (long)l * _n * _d, rstd2 = a + _rstd2 + (long)l * _n;
            float* gate = a + _gate + (long)l * _n * _f, up = a + _up + (long)l * _n * _f, hid = a + _hid + (long)l * _n * _f;

            // MLP: dres holds ∂L/∂x_{l+1}, which is also ∂L/∂mid through the residual.
            Clear(dhid, (long)_n * _f);
            Layers.LinearBackward(Pool, dhid, g + w.WDown, dres, hid, p + w.WDown, _n, _f, _d);
            Clear(dgate, (long)_n * _f);
            Clear(dup, (long)_n * _f);
            Layers.SwiGluBackward(dgate, dup, dhid, gate, up, (long)_n * _f);
            Clear(dln, (long)_n * _d);
            Layers.LinearBackward(Pool, dln, g + w.WGate, dgate, ln2, p + w.WGate, _n, _d, _f);
            Layers.LinearBackward(Pool, dln, g + w.WUp, dup, ln2, p + w.WUp, _n, _d, _f);
            Layers.RmsNormBackward(dres, g + w.FfnNorm, dln, mid, p + w.FfnNorm, rstd2, _n, _d);

            // Attention: dres now holds ∂L/∂mid, also ∂L/∂x_l through the residual.
            Clear(datt, (long)_n * _qd);
            Layers.LinearBackward(Pool, datt, g + w.Wo, dres, att, p + w.Wo, _n, _qd, _d);
            Clear(dq, (long)_n * _qd);
            Clear(dk, (long)_n * _kvd);
            Clear(dv, (long)_n * _kvd);
            Layers.AttentionBackward(Pool, dq, dk, dv, ga + _dscores, datt, probs, q, k, v, Batch, SeqLen, _h, _kvh, _hd);
            Layers.RopeBackward(dq, Batch, SeqLen, _h, _hd, _rope);
            Layers.RopeBackward(dk, Batch, SeqLen, _kvh, _hd, _rope);
            Clear(dln, (long)_n * _d);
            Layers.LinearBackward(Pool, dln, g + w.Wq, dq, ln1, p + w.Wq, _n, _d, _qd);
            Layers.LinearBackward(Pool, dln, g + w.Wk, dk, ln1, p + w.Wk, _n, _d, _kvd);
            Layers.LinearBackward(Pool, dln, g + w.Wv, dv, ln1, p + w.Wv, _n, _d, _kvd);
            Layers.RmsNormBackward(dres, g + w.AttnNorm, dln, x, p + w.AttnNorm, rstd1, _n, _d);
        }
        Layers.EmbeddingBackward(g + Layout.Embed, dres, _inputs, _d);
    }

    private static void Clear(float* p, long count)
    {
        for (long o = 0; o < count; o += int.MaxValue / 2) new Span<float>(p + o, (int)Math.Min(int.MaxValue / 2, count - o)).Clear();
    }

    /// <summary>Copies of every tensor under its Hugging Face name (the input of the checkpoint writers).</summary>
    public Dictionary<string, float[]> ExportTensors() =>
        Layout.Tensors.ToDictionary(t => t.Name, t => new ReadOnlySpan<float>(Params.Ptr + t.Offset, checked((int)t.Count)).ToArray());

    /// <summary>Sets the parameters from tensors under Hugging Face names (all of <see cref="ParameterLayout.Tensors"/>).</summary>
    public void ImportTensors(IReadOnlyDictionary<string, float[]> tensors)
    {
        foreach (var t in Layout.Tensors)
        {
            if (!tensors.TryGetValue(t.Name, out var data) || data.Length != t.Count)
                throw new ArgumentException($"tensor '{t.Name}' missing or not {t.Count} values");
            data.CopyTo(new Span<float>(Params.Ptr + t.Offset, data.Length));
        }
    }

    public void Dispose()
    {
        Params.Dispose();
        Grads.Dispose();
        _acts.Dispose();
        _gradActs.Dispose();
        Pool.Dispose();
    }
}
