namespace DrLlm.Engine.Formats;

/// <summary>
/// llama.cpp tensor names (gguf-py/gguf/tensor_mapping.py, constants.py MODEL_TENSOR names) against Hugging Face
/// names, and the row permutation llama.cpp's converter applies to LLaMA's Q and K projections.
/// </summary>
public static class GgufTensorNames
{
    /// <summary>Per-block names: "blk.N.{gguf}" ↔ "model.layers.N.{hf}".</summary>
    static readonly (string Gguf, string Hf)[] BlockNames =
    [
        ("attn_norm.weight", "input_layernorm.weight"),
        ("attn_q.weight", "self_attn.q_proj.weight"),
        ("attn_k.weight", "self_attn.k_proj.weight"),
        ("attn_v.weight", "self_attn.v_proj.weight"),
        ("attn_q.bias", "self_attn.q_proj.bias"),
        ("attn_k.bias", "self_attn.k_proj.bias"),
        ("attn_v.bias", "self_attn.v_proj.bias"),
        ("attn_output.weight", "self_attn.o_proj.weight"),
        ("attn_q_norm.weight", "self_attn.q_norm.weight"),
        ("attn_k_norm.weight", "self_attn.k_norm.weight"),
        ("ffn_norm.weight", "post_attention_layernorm.weight"),
        ("ffn_gate.weight", "mlp.gate_proj.weight"),
        ("ffn_up.weight", "mlp.up_proj.weight"),
        ("ffn_down.weight", "mlp.down_proj.weight"),
    ];

    static readonly (string Gguf, string Hf)[] GlobalNames =
    [
        ("token_embd.weight", CheckpointSchema.Embeddings),
        ("output_norm.weight", CheckpointSchema.FinalNorm),
        ("output.weight", CheckpointSchema.LmHead),
    ];

    /// <summary>Llama-3 rope scaling factors; they go to <see cref="Model.ModelConfig.RopeFreqFactors"/>, not to the tensors.</summary>
    public const string RopeFreqs = "rope_freqs.weight";

    /// <summary>The Hugging Face name of a llama.cpp tensor, or null when it has none.</summary>
    public static string? ToHf(string gguf)
    {
        foreach (var (g, h) in GlobalNames) if (g == gguf) return h;
        if (!gguf.StartsWith("blk.", StringComparison.Ordinal)) return null;
        int dot = gguf.IndexOf('.', 4);
        if (!TryLayer(gguf, 4, dot, out int layer)) return null;
        var rest = gguf[(dot + 1)..];
        foreach (var (g, h) in BlockNames) if (g == rest) return CheckpointSchema.Layer(layer, h);
        return null;
    }

    /// <summary>The llama.cpp name of a Hugging Face tensor, or null when it has none.</summary>
    public static string? ToGguf(string hf)
    {
        foreach (var (g, h) in GlobalNames) if (h == hf) return g;
        const string prefix = "model.layers.";
        if (!hf.StartsWith(prefix, StringComparison.Ordinal)) return null;
        int dot = hf.IndexOf('.', prefix.Length);
        if (!TryLayer(hf, prefix.Length, dot, out int layer)) return null;
        var rest = hf[(dot + 1)..];
        foreach (var (g, h) in BlockNames) if (h == rest) return $"blk.{layer}.{g}";
        return null;
    }

    /// <summary>Only canonical decimal layer numbers ("blk.3.", not "blk.03." or "blk.+3."), so names map one to one.</summary>
    static bool TryLayer(string name, int start, int dot, out int layer)
    {
        layer = -1;
        if (dot <= start) return false;
        var digits = name.AsSpan(start, dot - start);
        return int.TryParse(digits, out layer) && layer >= 0 && digits.SequenceEqual(layer.ToString());
    }

    /// <summary>Whether llama.cpp's converter permutes this tensor for this architecture (LLaMA Q and K weights).</summary>
    public static bool IsRopePermuted(Model.Architecture arch, string hf) =>
        arch == Model.Architecture.Llama &&
        hf.StartsWith("model.layers.", StringComparison.Ordinal) &&
        (hf.EndsWith(".self_attn.q_proj.weight", StringComparison.Ordinal) || hf.EndsWith(".self_attn.k_proj.weight", StringComparison.Ordinal));

    /// <summary>
    /// Hugging Face → llama.cpp row order. convert_hf_to_gguf.py (LlamaModel.permute):
    /// <c>w.reshape(n_head, 2, head_dim/2, cols).swapaxes(1, 2)</c>, so within each head GGUF row 2i+j is HF row
    /// j*head_dim/2 + i: the rotated pairs (x_i, x_{i+half}) become adjacent, as ggml's normal rope expects.
    /// <paramref name="heads"/> is num_attention_heads for Q and num_key_value_heads for K.
    /// </summary>
    public static unsafe void PermuteForGguf(ReadOnlySpan<float> hf, Span<float> gguf, int heads, int cols)
    {
        CheckRows(hf.Length, gguf.Length, heads, cols);
        fixed (float* s = hf) fixed (float* d = gguf) PermuteRows((byte*)s, (byte*)d, heads, hf.Length / cols, cols * 4L, toGguf: true);
    }

    /// <summary>The inverse of <see cref="PermuteForGguf"/>.</summary>
    public static unsafe void UnpermuteFromGguf(ReadOnlySpan<float> gguf, Span<float> hf, int heads, int cols)
    {
        CheckRows(gguf.Length, hf.Length, heads, cols);
        fixed (float* s = gguf) fixed (float* d = hf) PermuteRows((byte*)s, (byte*)d, heads, gguf.Length / cols, cols * 4L, toGguf: false);
    }

    static void CheckRows(int src, int dst, int heads, int cols)
    {
        if (src != dst || src % cols != 0 || src / cols % (2 * heads) != 0)
            throw new ArgumentException($"rope permutation: {src} values are not [{heads} heads × even head_dim, {cols}]");
    }

    /// <summary>
    /// The same row order change on rows of any stored type (<paramref name="rowBytes"/> bytes each: a quantised row is
    /// whole blocks, so rows move as they are).
    /// </summary>
    public static unsafe void PermuteRows(byte* src, byte* dst, int heads, int rows, long rowBytes, bool toGguf)
    {
        if (rows % (2 * heads) != 0)
            throw new ArgumentException($"rope permutation: {rows} rows are not {heads} heads × an even head_dim");
        int half = rows / heads / 2;
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int j = 0; j < 2; j++)
                {
                    long hfRow = h * 2 * half + j * half + i;
                    long ggufRow = h * 2 * half + 2 * i + j;
                    var (from, to) = toGguf ? (hfRow, ggufRow) : (ggufRow, hfRow);
                    Buffer.MemoryCopy(src + from * rowBytes, dst + to * rowBytes, rowBytes, rowBytes);
                }
    }
}
