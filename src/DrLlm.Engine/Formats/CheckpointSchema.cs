using DrLlm.Engine.Model;

namespace DrLlm.Engine.Formats;

/// <summary>
/// The one list of tensors a decoder of a given <see cref="ModelConfig"/> needs, under Hugging Face names with
/// their row-major shapes (transformers' LlamaForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM state dicts).
/// Every loader and writer checks against it, so a checkpoint that opens is one the decoder can run.
/// </summary>
public static class CheckpointSchema
{
    public const string Embeddings = "model.embed_tokens.weight";
    public const string FinalNorm = "model.norm.weight";
    public const string LmHead = "lm_head.weight";

    public static string Layer(int i, string suffix) => $"model.layers.{i}.{suffix}";

    /// <summary>
    /// Name, shape and a short reason for the shape, for every tensor the decoder reads. lm_head.weight is listed
    /// only when embeddings are not tied.
    /// </summary>
    public static IEnumerable<(string Name, long[] Shape, string Why)> Expected(ModelConfig c)
    {
        long d = c.HiddenSize, v = c.VocabSize, q = c.QDim, kv = c.KvDim, ff = c.IntermediateSize, hd = c.HeadDim;
        yield return (Embeddings, [v, d], "[vocab_size, hidden_size]");
        yield return (FinalNorm, [d], "[hidden_size]");
        if (!c.TieWordEmbeddings) yield return (LmHead, [v, d], "[vocab_size, hidden_size]");
        for (int i = 0; i < c.NumLayers; i++)
        {
            yield return (Layer(i, "input_layernorm.weight"), [d], "[hidden_size]");
            yield return (Layer(i, "self_attn.q_proj.weight"), [q, d], "[num_attention_heads*head_dim, hidden_size]");
            yield return (Layer(i, "self_attn.k_proj.weight"), [kv, d], "[num_key_value_heads*head_dim, hidden_size]");
            yield return (Layer(i, "self_attn.v_proj.weight"), [kv, d], "[num_key_value_heads*head_dim, hidden_size]");
            if (c.AttentionBias)
            {
                yield return (Layer(i, "self_attn.q_proj.bias"), [q], "[num_attention_heads*head_dim]");
                yield return (Layer(i, "self_attn.k_proj.bias"), [kv], "[num_key_value_heads*head_dim]");
                yield return (Layer(i, "self_attn.v_proj.bias"), [kv], "[num_key_value_heads*head_dim]");
            }
            if (c.QkNorm)
            {
                yield return (Layer(i, "self_attn.q_norm.weight"), [hd], "[head_dim]");
                yield return (Layer(i, "self_attn.k_norm.weight"), [hd], "[head_dim]");
            }
            yield return (Layer(i, "self_attn.o_proj.weight"), [d, q], "[hidden_size, num_attention_heads*head_dim]");
            yield return (Layer(i, "post_attention_layernorm.weight"), [d], "[hidden_size]");
            yield return (Layer(i, "mlp.gate_proj.weight"), [ff, d], "[intermediate_size, hidden_size]");
            yield return (Layer(i, "mlp.up_proj.weight"), [ff, d], "[intermediate_size, hidden_size]");
            yield return (Layer(i, "mlp.down_proj.weight"), [d, ff], "[hidden_size, intermediate_size]");
        }
    }

    /// <summary>
    /// Throws <see cref="ModelFormatException"/> naming <paramref name="source"/>, the tensor, and the found and
    /// expected shapes when a tensor is missing or mis-shaped. A present lm_head.weight is checked even when tied.
    /// <paramref name="fileName"/> maps a Hugging Face name to the name inside the file, for the message.
    /// </summary>
    public static void Validate(ModelConfig c, IReadOnlyDictionary<string, TensorInfo> tensors, string source,
        Func<string, string>? fileName = null)
    {
        string Describe(string name) => fileName?.Invoke(name) is { } f && f != name ? $"'{name}' ('{f}' in the file)" : $"'{name}'";
        var expected = Expected(c).ToList();
        if (c.TieWordEmbeddings && tensors.ContainsKey(LmHead))
            expected.Add((LmHead, [c.VocabSize, c.HiddenSize], "[vocab_size, hidden_size]"));
        foreach (var (name, shape, why) in expected)
        {
            if (!tensors.TryGetValue(name, out var t))
                throw new ModelFormatException($"{source}: missing tensor {Describe(name)}, expected shape {Format(shape)} {why}");
            if (!t.Shape.SequenceEqual(shape))
                throw new ModelFormatException($"{source}: tensor {Describe(name)} has shape {Format(t.Shape)}, expected {Format(shape)} {why}");
        }
    }

    public static string Format(long[] shape) => $"[{string.Join(", ", shape)}]";
}
