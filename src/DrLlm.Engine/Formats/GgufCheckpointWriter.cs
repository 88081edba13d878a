using DrLlm.Engine.Model;

namespace DrLlm.Engine.Formats;

/// <summary>
/// Writes a checkpoint held under Hugging Face names and layout as a GGUF file llama.cpp can load: llama.cpp tensor
/// names, LLaMA Q/K rows permuted as convert_hf_to_gguf.py does, the hyperparameters src/llama-model.cpp reads, and
/// a tokenizer (llama-vocab.cpp refuses a file without one).
/// </summary>
public static class GgufCheckpointWriter
{
    /// <summary>
    /// Writes <paramref name="hfTensors"/> (every tensor <see cref="CheckpointSchema.Expected"/> lists for
    /// <paramref name="config"/>) to <paramref name="path"/>. Matrices are stored as <paramref name="dtype"/>; norms,
    /// biases and rope_freqs stay f32 as llama.cpp's converter keeps them. A Q8_0 matrix whose rows are not a multiple
    /// of 32 falls back to f16, as the converter does. With tied embeddings lm_head.weight is not written.
    /// Without <paramref name="vocab"/> a placeholder vocabulary (<see cref="GgufVocab.Placeholder"/>) is written.
    /// </summary>
    public static void Write(string path, ModelConfig config, IReadOnlyDictionary<string, float[]> hfTensors,
        TensorDType dtype, GgufVocab? vocab = null)
    {
        config.Validate(path);
        string arch = config.Architecture switch
        {
            Architecture.Llama => "llama",
            Architecture.Qwen2 => "qwen2",
            Architecture.Qwen3 => "qwen3",
            _ => throw new ModelFormatException($"{path}: architecture {config.Architecture} has no GGUF name"),
        };
        var expected = CheckpointSchema.Expected(config).ToList();
        var known = expected.Select(e => e.Name).ToHashSet();
        foreach (var name in hfTensors.Keys)
            if (!known.Contains(name) && !(name == CheckpointSchema.LmHead && config.TieWordEmbeddings))
                throw new ModelFormatException($"{path}: tensor '{name}' is not part of a {arch} checkpoint with this config");

        vocab ??= GgufVocab.Placeholder(config.VocabSize, config.BosTokenId, config.EosTokenIds.Count > 0 ? config.EosTokenIds[0] : null);
        if (vocab.Tokens.Count != config.VocabSize || vocab.Scores.Count != config.VocabSize || vocab.TokenTypes.Count != config.VocabSize)
            throw new ModelFormatException($"{path}: vocabulary has {vocab.Tokens.Count} tokens, {vocab.Scores.Count} scores and {vocab.TokenTypes.Count} types; vocab_size {config.VocabSize} of each expected (llama.cpp checks token_embd against it)");

        var w = new GgufWriter();
        w.Add("general.architecture", arch);
        w.Add("general.name", "drllm");
        w.Add("general.file_type", FileType(dtype));
        w.Add("general.quantization_version", 2u); // GGML_QNT_VERSION
        w.Add($"{arch}.vocab_size", (uint)config.VocabSize);
        w.Add($"{arch}.context_length", (uint)config.MaxPositionEmbeddings);
        w.Add($"{arch}.embedding_length", (uint)config.HiddenSize);
        w.Add($"{arch}.block_count", (uint)config.NumLayers);
        w.Add($"{arch}.feed_forward_length", (uint)config.IntermediateSize);
        w.Add($"{arch}.attention.head_count", (uint)config.NumHeads);
        w.Add($"{arch}.attention.head_count_kv", (uint)config.NumKvHeads);
        w.Add($"{arch}.attention.key_length", (uint)config.HeadDim);
        w.Add($"{arch}.attention.value_length", (uint)config.HeadDim);
        w.Add($"{arch}.attention.layer_norm_rms_epsilon", config.RmsNormEps);
        w.Add($"{arch}.rope.freq_base", config.RopeTheta);
        w.Add($"{arch}.rope.dimension_count", (uint)config.HeadDim);
        AddVocab(w, vocab);

        var ropeFactors = config.RopeFreqFactors ?? (config.RopeScaling is { } s ? RopeFrequencies.Llama3Factors(s, config.RopeTheta, config.HeadDim) : null);
        if (ropeFactors is not null)
        {
            // Only llama's loader (src/models/llama.cpp) reads rope_freqs; qwen2/qwen3 would reject the extra tensor.
            if (config.Architecture != Architecture.Llama)
                throw new ModelFormatException($"{path}: rope scaling / rope_freqs is only supported by llama.cpp for llama, not {arch}");
            if (ropeFactors.Length != config.HeadDim / 2)
                throw new ModelFormatException($"{path}: rope_freqs has {ropeFactors.Length} values, expected head_dim/2 = {config.HeadDim / 2}");
            w.AddTensor(GgufTensorNames.RopeFreqs, [ropeFactors.Length], TensorDType.F32, ropeFactors);
        }

        foreach (var (name, shape, why) in expected)
        {
            if (!hfTensors.TryGetValue(name, out var data))
                throw new ModelFormatException($"{path}: missing tensor '{name}', expected shape {CheckpointSchema.Format(shape)} {why}");
            long count = shape.Aggregate(1L, (a, b) => a * b);
            if (data.Length != count)
                throw new ModelFormatException($"{path}: tensor '{name}' has {data.Length} values, expected {count} for shape {CheckpointSchema.Format(shape)} {why}");

            var stored = data;
            if (GgufTensorNames.IsRopePermuted(config.Architecture, name))
            {
                int heads = name.EndsWith(".q_proj.weight", StringComparison.Ordinal) ? config.NumHeads : config.NumKvHeads;
                stored = new float[data.Length];
                GgufTensorNames.PermuteForGguf(data, stored, heads, config.HiddenSize);
            }
            var type = shape.Length == 1 ? TensorDType.F32
                : dtype == TensorDType.Q8_0 && shape[^1] % Numerics.Q8BlockSize != 0 ? TensorDType.F16
                : dtype;
            w.AddTensor(GgufTensorNames.ToGguf(name)!, shape, type, stored);
        }
        w.Write(path);
    }

    static void AddVocab(GgufWriter w, GgufVocab v)
    {
        w.Add("tokenizer.ggml.model", v.Model);
        if (v.Pre is not null) w.Add("tokenizer.ggml.pre", v.Pre);
        w.Add("tokenizer.ggml.tokens", v.Tokens.ToArray());
        w.Add("tokenizer.ggml.scores", v.Scores.ToArray());
        w.Add("tokenizer.ggml.token_type", v.TokenTypes.ToArray());
        if (v.Merges is not null) w.Add("tokenizer.ggml.merges", v.Merges.ToArray());
        if (v.BosTokenId is int bos) w.Add("tokenizer.ggml.bos_token_id", (uint)bos);
        if (v.EosTokenId is int eos) w.Add("tokenizer.ggml.eos_token_id", (uint)eos);
    }

    /// <summary>llama_ftype (llama.h): what most of the file's matrices are.</summary>
    static uint FileType(TensorDType dtype) => dtype switch
    {
        TensorDType.F32 => 0,   // LLAMA_FTYPE_ALL_F32
        TensorDType.F16 => 1,   // LLAMA_FTYPE_MOSTLY_F16
        TensorDType.Q8_0 => 7,  // LLAMA_FTYPE_MOSTLY_Q8_0
        TensorDType.BF16 => 32, // LLAMA_FTYPE_MOSTLY_BF16
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };
}
