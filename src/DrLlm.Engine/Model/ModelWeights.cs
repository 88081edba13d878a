using System.Runtime.InteropServices;
using DrLlm.Engine.Formats;
using DrLlm.Engine.Kernels;

namespace DrLlm.Engine.Model;

/// <summary>One transformer block's parameters as f32 pointers. Linear weights are [out, in] row-major.</summary>
public unsafe struct BlockWeights
{
    public float* AttnNorm;                 // [d]
    public float* Wq, Wk, Wv;              // [qDim, d], [kvDim, d], [kvDim, d]
    public float* Wqkv;                    // [qDim + 2·kvDim, d]: Wq, Wk, Wv back to back when fused, else null
    public float* Bq, Bk, Bv;              // [qDim], [kvDim], [kvDim] (Qwen2 only, else null)
    public float* QNorm, KNorm;            // [hd] (Qwen3 only, else null)
    public float* Wo;                      // [d, qDim]
    public float* FfnNorm;                 // [d]
    public float* WGate, WUp;              // [ffn, d]
    public float* WGateUp;                 // [2·ffn, d]: WGate then WUp when fused, else null
    public float* WDown;                   // [d, ffn]
}

/// <summary>
/// All parameters of a decoder as f32, in Hugging Face layout, converted once (bf16, f16, Q8_0, permuted Q/K) into
/// native memory on transparent huge pages that this object owns. A 3B bf16 model becomes ~12 GB of f32.
/// With <c>mapF32</c>, tensors already stored as aligned f32 stay in the checkpoint's memory mapping instead: loading is
/// near-instant and processes share the page cache, but decoding streams the weights through 4 KiB file pages, measured
/// ~35-45% slower on SmolLM2-135M here (README, "Speed"). Hence copying is the default.
/// </summary>
public sealed unsafe class ModelWeights : IDisposable
{
    private readonly List<nint> _owned = [];
    private readonly Checkpoint _checkpoint;
    private readonly BlockWeights[] _blocks;
    private readonly bool _mapF32;

    public ModelConfig Config { get; }
    public float* Embed { get; }      // [vocab, d]
    public float* FinalNorm { get; }  // [d]
    public float* LmHead { get; }     // [vocab, d]; aliases Embed when tied
    public long MappedBytes { get; private set; }
    public long OwnedBytes { get; private set; }
    public ref readonly BlockWeights Block(int i) => ref _blocks[i];

    private ModelWeights(Checkpoint checkpoint, bool mapF32)
    {
        _checkpoint = checkpoint;
        _mapF32 = mapF32;
        var c = Config = checkpoint.Config;
        Embed = Load("model.embed_tokens.weight");
        FinalNorm = Load("model.norm.weight");
        LmHead = c.TieWordEmbeddings && !checkpoint.Tensors.Tensors.ContainsKey("lm_head.weight")
            ? Embed : Load("lm_head.weight");
        _blocks = new BlockWeights[c.NumLayers];
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}.";
            ref var b = ref _blocks[l];
            b.AttnNorm = Load(p + "input_layernorm.weight");
            if (_mapF32)
            {
                b.Wq = Load(p + "self_attn.q_proj.weight");
                b.Wk = Load(p + "self_attn.k_proj.weight");
                b.Wv = Load(p + "self_attn.v_proj.weight");
            }
            else
            {
                // Copied weights can be laid out back to back, so Q, K and V are one GEMM (and gate/up another): at
                // prompt lengths ~100 a GEMM with N = 960 runs far closer to peak than three with N = 576, 192, 192.
                b.Wqkv = LoadRows(p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight");
                b.Wq = b.Wqkv;
                b.Wk = b.Wq + (long)c.QDim * c.HiddenSize;
                b.Wv = b.Wk + (long)c.KvDim * c.HiddenSize;
            }
            if (c.AttentionBias)
            {
                b.Bq = Load(p + "self_attn.q_proj.bias");
                b.Bk = Load(p + "self_attn.k_proj.bias");
                b.Bv = Load(p + "self_attn.v_proj.bias");
            }
            if (c.QkNorm)
            {
                b.QNorm = Load(p + "self_attn.q_norm.weight");
                b.KNorm = Load(p + "self_attn.k_norm.weight");
            }
            b.Wo = Load(p + "self_attn.o_proj.weight");
            b.FfnNorm = Load(p + "post_attention_layernorm.weight");
            if (_mapF32)
            {
                b.WGate = Load(p + "mlp.gate_proj.weight");
                b.WUp = Load(p + "mlp.up_proj.weight");
            }
            else
            {
                b.WGateUp = LoadRows(p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight");
                b.WGate = b.WGateUp;
                b.WUp = b.WGate + (long)c.IntermediateSize * c.HiddenSize;
            }
            b.WDown = Load(p + "mlp.down_proj.weight");
        }
    }

    /// <summary>
    /// Takes ownership of the checkpoint. With copied weights its files are closed as soon as everything is converted
    /// (a 3B bf16 checkpoint's 6 GB of mapped pages leave the process); mapped weights keep them open until disposal.
    /// </summary>
    public static ModelWeights FromCheckpoint(Checkpoint checkpoint, bool mapF32 = false)
    {
        try
        {
            var w = new ModelWeights(checkpoint, mapF32);
            if (!mapF32) checkpoint.Dispose();
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

    private float* Load(string name)
    {
        long n = Info(name).ElementCount;
        float* mapped = _mapF32 ? _checkpoint.Tensors.TryMapF32(name) : null;
        if (mapped != null)
        {
            FiniteValues.CheckTensor(new ReadOnlySpan<float>(mapped, (int)n), _checkpoint.Tensors.SourcePath, name);
            MappedBytes += n * 4;
            return mapped;
        }
        return LoadRows(name);
    }

    /// <summary>Converts the named tensors to f32 into one owned buffer, back to back (rows of one matrix, then the next).</summary>
    private float* LoadRows(params string[] names)
    {
        var counts = names.Select(n => Info(n).ElementCount).ToArray();
        long total = counts.Sum();
        var p = (float*)HugePages.Alloc(total * 4);
        _owned.Add((nint)p);
        OwnedBytes += total * 4;
        long offset = 0;
        for (int i = 0; i < names.Length; i++)
        {
            var dst = new Span<float>(p + offset, (int)counts[i]);
            _checkpoint.Tensors.ReadF32(names[i], dst);
            FiniteValues.CheckTensor(dst, _checkpoint.Tensors.SourcePath, names[i]);
            offset += counts[i];
        }
        return p;
    }

    public void Dispose()
    {
        foreach (var p in _owned) HugePages.Free((void*)p);
        _owned.Clear();
        if (_mapF32) _checkpoint.Dispose();
    }
}
