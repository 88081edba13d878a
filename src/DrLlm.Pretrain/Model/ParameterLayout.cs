using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;

namespace DrLlm.Pretrain.Model;

/// <summary>One named view into the flat parameter (or gradient, or Adam moment) buffer.</summary>
public sealed record ParameterTensor(string Name, long Offset, long[] Shape)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
    /// <summary>Weight decay applies to matrices only (embeddings and projections), not to norm gains (nanoGPT, llm.c).</summary>
    public bool IsMatrix => Shape.Length == 2;
}

/// <summary>Offsets of one block's tensors in the flat buffer.</summary>
public readonly record struct BlockOffsets(long AttnNorm, long Wq, long Wk, long Wv, long Wo, long FfnNorm, long WGate, long WUp, long WDown);

/// <summary>
/// Where every parameter lives in one contiguous buffer (llm.c's ParameterTensors): the tensors of
/// <see cref="CheckpointSchema.Expected"/> in that order, under their Hugging Face names and shapes, each starting on
/// a 64-byte boundary. Gradients and Adam moments use the same layout, so one loop over the buffer updates everything.
/// </summary>
public sealed class ParameterLayout
{
    public ModelConfig Config { get; }
    public IReadOnlyList<ParameterTensor> Tensors { get; }
    /// <summary>Floats in the buffer, padding included.</summary>
    public long Count { get; }
    public long Embed { get; }
    public long FinalNorm { get; }
    /// <summary>The LM head's offset: the embedding's when embeddings are tied.</summary>
    public long LmHead { get; }
    public IReadOnlyList<BlockOffsets> Blocks { get; }
    /// <summary>For each of <see cref="Tensors"/>, the block it belongs to, or −1 (embeddings, final norm, LM head).</summary>
    public IReadOnlyList<int> BlockOf { get; }

    public ParameterLayout(ModelConfig config)
    {
        config.Validate("pretrain model config");
        if (config.Architecture != Architecture.Llama || config.RopeScaling is not null || config.RopeFreqFactors is not null)
            throw new ArgumentException("the trainer implements plain LLaMA (no QKV bias, no QK norm, no rope scaling); got " +
                $"{config.Architecture}{(config.RopeScaling is null ? "" : " with rope scaling")}");
        Config = config;
        var tensors = new List<ParameterTensor>();
        long offset = 0;
        foreach (var (name, shape, _) in CheckpointSchema.Expected(config))
        {
            var t = new ParameterTensor(name, offset, shape);
            tensors.Add(t);
            offset += (t.Count + 15) / 16 * 16;
        }
        Tensors = tensors;
        Count = offset;
        var at = tensors.ToDictionary(t => t.Name, t => t.Offset);
        Embed = at[CheckpointSchema.Embeddings];
        FinalNorm = at[CheckpointSchema.FinalNorm];
        LmHead = config.TieWordEmbeddings ? Embed : at[CheckpointSchema.LmHead];
        Blocks = Enumerable.Range(0, config.NumLayers).Select(i => new BlockOffsets(
            at[CheckpointSchema.Layer(i, "input_layernorm.weight")], at[CheckpointSchema.Layer(i, "self_attn.q_proj.weight")],
            at[CheckpointSchema.Layer(i, "self_attn.k_proj.weight")], at[CheckpointSchema.Layer(i, "self_attn.v_proj.weight")],
            at[CheckpointSchema.Layer(i, "self_attn.o_proj.weight")], at[CheckpointSchema.Layer(i, "post_attention_layernorm.weight")],
            at[CheckpointSchema.Layer(i, "mlp.gate_proj.weight")], at[CheckpointSchema.Layer(i, "mlp.up_proj.weight")],
            at[CheckpointSchema.Layer(i, "mlp.down_proj.weight")])).ToList();
        var block = new Dictionary<long, int>();
        for (int i = 0; i < Blocks.Count; i++)
        {
            var b = Blocks[i];
            foreach (long o in new[] { b.AttnNorm, b.Wq, b.Wk, b.Wv, b.Wo, b.FfnNorm, b.WGate, b.WUp, b.WDown }) block[o] = i;
        }
        BlockOf = tensors.Select(t => block.GetValueOrDefault(t.Offset, -1)).ToList();
    }

    /// <summary>Parameters proper (padding excluded): what "a 6M-parameter model" counts.</summary>
    public long ParameterCount => Tensors.Sum(t => t.Count);
}
