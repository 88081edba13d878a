using DrLlm.Engine.Formats;
using DrLlm.Engine.Kernels;

namespace DrLlm.Engine.Model;

/// <summary>One transformer block's parameters: linear weights as stored ([out, in] row-major), norms and biases as f32.</summary>
public unsafe struct BlockWeights
{
    public float* AttnNorm;                 // [d]
    public WeightMatrix Wq, Wk, Wv;         // [qDim, d], [kvDim, d], [kvDim, d]
    public float* Bq, Bk, Bv;              // [qDim], [kvDim], [kvDim] (Qwen2 only, else null)
    public float* QNorm, KNorm;            // [hd] (Qwen3 only, else null)
    public WeightMatrix Wo;                 // [d, qDim]
    public float* FfnNorm;                 // [d]
    public WeightMatrix WGate, WUp;         // [ffn, d]
    public WeightMatrix WDown;              // [d, ffn]
}

/// <summary>
/// All parameters of a decoder in Hugging Face layout. The matrices (embedding, projections, LM head) stay in the type
/// the checkpoint stores them in — f32, f16, bf16, Q8_0, Q5_0, Q4_K, Q6_K — and the kernels compute on those bytes, so
/// a bf16 model takes its bf16 size in memory, not twice that. Norm gains and biases (a few thousand values each) are
/// converted to f32.
/// <para>
/// By default each matrix is copied once, as stored, into memory advised as transparent huge pages (decode streams
/// every weight once per token, and 4 KiB file pages made the TLB the bottleneck: ~35-45% slower decode measured on
/// SmolLM2-135M, README "Speed"); each tensor's file pages are dropped from the process as soon as it is copied, so a
/// large checkpoint is never resident twice. With <c>map</c>, matrices whose stored bytes are usable in place stay in
/// the checkpoint's memory mapping (near-instant load, page cache shared between processes); a GGUF LLaMA's Q/K rows,
/// which llama.cpp permutes, are copied in Hugging Face order either way.
/// </para>
/// </summary>
public sealed unsafe class ModelWeights : IDisposable
{
    private readonly List<nint> _owned = [];
    private readonly Checkpoint _checkpoint;
    private readonly BlockWeights[] _blocks;
    private readonly bool _map;

    public ModelConfig Config { get; }
    public WeightMatrix Embed { get; }      // [vocab, d]
    public float* FinalNorm { get; }        // [d]
    public WeightMatrix LmHead { get; }     // [vocab, d]; the embedding itself when tied
    public long MappedBytes { get; private set; }
    public long OwnedBytes { get; private set; }
    public ref readonly BlockWeights Block(int i) => ref _blocks[i];

    /// <summary>The stored types of the matrices and how many of each, e.g. "Q4_K 90, Q6_K 31, Q5_0 90" (model cards, benchmarks).</summary>
    public string TypeSummary { get; }

    private ModelWeights(Checkpoint checkpoint, bool map)
    {
        _checkpoint = checkpoint;
        _map = map;
        var c = Config = checkpoint.Config;
        var types = new Dictionary<TensorDType, int>();
        WeightMatrix M(string name)
        {
            var m = Matrix(name);
            types[m.Type] = types.GetValueOrDefault(m.Type) + 1;
            return m;
        }
        Embed = M(CheckpointSchema.Embeddings);
        FinalNorm = Vector(CheckpointSchema.FinalNorm);
        LmHead = c.TieWordEmbeddings && !checkpoint.Tensors.Tensors.ContainsKey(CheckpointSchema.LmHead)
            ? Embed : M(CheckpointSchema.LmHead);
        _blocks = new BlockWeights[c.NumLayers];
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}.";
            ref var b = ref _blocks[l];
            b.AttnNorm = Vector(p + "input_layernorm.weight");
            b.Wq = M(p + "self_attn.q_proj.weight");
            b.Wk = M(p + "self_attn.k_proj.weight");
            b.Wv = M(p + "self_attn.v_proj.weight");
            if (c.AttentionBias)
            {
                b.Bq = Vector(p + "self_attn.q_proj.bias");
                b.Bk = Vector(p + "self_attn.k_proj.bias");
                b.Bv = Vector(p + "self_attn.v_proj.bias");
            }
            if (c.QkNorm)
            {
                b.QNorm = Vector(p + "self_attn.q_norm.weight");
                b.KNorm = Vector(p + "self_attn.k_norm.weight");
            }
            b.Wo = M(p + "self_attn.o_proj.weight");
            b.FfnNorm = Vector(p + "post_attention_layernorm.weight");
            b.WGate = M(p + "mlp.gate_proj.weight");
            b.WUp = M(p + "mlp.up_proj.weight");
            b.WDown = M(p + "mlp.down_proj.weight");
        }
        TypeSummary = string.Join(", ", types.OrderByDescending(t => t.Value).Select(t => $"{t.Key} {t.Value}"));
    }

    /// <summary>
    /// Takes ownership of the checkpoint. With copied weights its files are closed as soon as everything is copied;
    /// mapped weights keep them open until disposal.
    /// </summary>
    public static ModelWeights FromCheckpoint(Checkpoint checkpoint, bool map = false)
    {
        try
        {
            var w = new ModelWeights(checkpoint, map);
            if (!map) checkpoint.Dispose();
            return w;
        }
        catch { checkpoint.Dispose(); throw; }
    }

    private TensorInfo Info(string name)
    {
        var src = _checkpoint.Tensors;
        if (!src.Tensors.TryGetValue(name, out var info))
            throw new ModelFormatException($"{src.SourcePath}: tensor '{name}' is missing");
        // Spans are int-indexed: a [151936, 2048] embedding (311M floats) fits, larger tensors would need chunking.
        if (info.ElementCount > int.MaxValue)
            throw new ModelFormatException($"{src.SourcePath}: tensor '{name}' has {info.ElementCount} elements; at most {int.MaxValue} supported");
        return info;
    }

    private WeightMatrix Matrix(string name)
    {
        var info = Info(name);
        var src = _checkpoint.Tensors;
        if (info.Shape.Length != 2)
            throw new ModelFormatException($"{src.SourcePath}: tensor '{name}' has shape {CheckpointSchema.Format(info.Shape)}; a matrix expected");
        int rows = (int)info.Shape[0], cols = (int)info.Shape[1];
        long bytes = Numerics.ByteSize(info.DType, info.ElementCount);
        byte* data = _map ? src.TryMap(name) : null;
        if (data != null) MappedBytes += bytes;
        else
        {
            data = (byte*)HugePages.Alloc(bytes);
            _owned.Add((nint)data);
            OwnedBytes += bytes;
            src.ReadStored(name, data);
            src.Release(name);
        }
        FiniteValues.CheckStored(info.DType, data, info.ElementCount, src.SourcePath, name);
        return new WeightMatrix(info.DType, data, rows, cols);
    }

    /// <summary>A norm gain or bias, converted to f32 into owned memory.</summary>
    private float* Vector(string name)
    {
        var info = Info(name);
        var p = (float*)HugePages.Alloc(info.ElementCount * 4);
        _owned.Add((nint)p);
        OwnedBytes += info.ElementCount * 4;
        var dst = new Span<float>(p, (int)info.ElementCount);
        _checkpoint.Tensors.ReadF32(name, dst);
        FiniteValues.CheckTensor(dst, _checkpoint.Tensors.SourcePath, name);
        return p;
    }

    public void Dispose()
    {
        foreach (var p in _owned) HugePages.Free((void*)p);
        _owned.Clear();
        if (_map) _checkpoint.Dispose();
    }
}
