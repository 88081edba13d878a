using System.Buffers;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Formats;

/// <summary>
/// Opens a llama.cpp GGUF file (architectures llama, qwen2, qwen3) as a <see cref="Checkpoint"/> under Hugging Face
/// names and layout. Config keys follow llama.cpp's loader (src/llama-model.cpp, load_hparams): "{arch}.embedding_length"
/// and friends; the vocabulary size is the row count of token_embd.weight.
/// </summary>
public static class GgufCheckpoint
{
    public static Checkpoint Open(string path)
    {
        var file = GgufFile.Open(path);
        try
        {
            var config = ReadConfig(file);
            return new Checkpoint(config, new GgufTensorSource(file, config), "gguf");
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    static ModelConfig ReadConfig(GgufFile f)
    {
        string archName = f.GetString("general.architecture");
        var arch = archName switch
        {
            "llama" => Architecture.Llama,
            "qwen2" => Architecture.Qwen2,
            "qwen3" => Architecture.Qwen3,
            _ => throw new ModelFormatException($"{f.Path}: general.architecture '{archName}' is not supported (expected llama, qwen2 or qwen3)"),
        };
        string k(string key) => $"{archName}.{key}";

        var embd = f.Find("token_embd.weight")
            ?? throw new ModelFormatException($"{f.Path}: missing tensor 'token_embd.weight' (model.embed_tokens.weight); it gives the vocabulary size");
        if (embd.Shape.Length != 2 || embd.Shape[0] > int.MaxValue)
            throw new ModelFormatException($"{f.Path}: tensor 'token_embd.weight' has shape {CheckpointSchema.Format(embd.Shape)}, expected [vocab_size, embedding_length]");

        int hidden = f.GetInt32(k("embedding_length"));
        int heads = f.GetInt32(k("attention.head_count"));
        int headDim = f.GetInt32(k("attention.key_length"), heads > 0 ? hidden / heads : 0);
        // The engine rotates every dimension of a head and uses one width for K and V, as llama.cpp does for these archs.
        if (f.Has(k("attention.value_length")) && f.GetInt32(k("attention.value_length")) != headDim)
            throw new ModelFormatException($"{f.Path}: metadata '{k("attention.value_length")}' is {f.GetInt32(k("attention.value_length"))}, expected the key length {headDim}");
        if (f.Has(k("rope.dimension_count")) && f.GetInt32(k("rope.dimension_count")) != headDim)
            throw new ModelFormatException($"{f.Path}: metadata '{k("rope.dimension_count")}' is {f.GetInt32(k("rope.dimension_count"))}, expected head_dim {headDim} (partial rope is not supported)");

        float[]? ropeFactors = null;
        if (f.Find(GgufTensorNames.RopeFreqs) is { } rf)
        {
            if (rf.Shape.Length != 1 || rf.Shape[0] != headDim / 2)
                throw new ModelFormatException($"{f.Path}: tensor '{GgufTensorNames.RopeFreqs}' has shape {CheckpointSchema.Format(rf.Shape)}, expected [{headDim / 2}] (head_dim/2)");
            ropeFactors = new float[headDim / 2];
            f.ReadF32(rf, ropeFactors);
        }

        var config = new ModelConfig
        {
            Architecture = arch,
            HiddenSize = hidden,
            IntermediateSize = f.GetInt32(k("feed_forward_length")),
            NumLayers = f.GetInt32(k("block_count")),
            NumHeads = heads,
            NumKvHeads = f.GetInt32(k("attention.head_count_kv"), heads),
            VocabSize = (int)embd.Shape[0],
            HeadDim = headDim,
            RmsNormEps = (float)f.GetFloat(k("attention.layer_norm_rms_epsilon")),
            RopeTheta = (float)f.GetFloat(k("rope.freq_base"), 10000.0),
            RopeFreqFactors = ropeFactors,
            TieWordEmbeddings = f.Find("output.weight") is null,
            MaxPositionEmbeddings = f.GetInt32(k("context_length"), 4096),
            BosTokenId = f.Has("tokenizer.ggml.bos_token_id") ? f.GetInt32("tokenizer.ggml.bos_token_id") : null,
            EosTokenIds = f.Has("tokenizer.ggml.eos_token_id") ? [f.GetInt32("tokenizer.ggml.eos_token_id")] : [],
        };
        config.Validate(f.Path);
        return config;
    }
}

/// <summary>The tensors of a GGUF file under Hugging Face names; LLaMA's Q/K are un-permuted on read.</summary>
internal sealed unsafe class GgufTensorSource : ITensorSource
{
    readonly GgufFile _file;
    readonly ModelConfig _config;
    readonly Dictionary<string, GgufTensor> _byHfName = [];
    readonly Dictionary<string, TensorInfo> _tensors = [];

    public string SourcePath => _file.Path;
    public IReadOnlyDictionary<string, TensorInfo> Tensors => _tensors;

    public GgufTensorSource(GgufFile file, ModelConfig config)
    {
        _file = file;
        _config = config;
        foreach (var t in file.Tensors)
        {
            if (t.Name == GgufTensorNames.RopeFreqs) continue; // lives in the config
            // Tensors llama.cpp names that the decoder does not use keep their file name rather than vanish.
            string name = GgufTensorNames.ToHf(t.Name) ?? t.Name;
            if (!_byHfName.TryAdd(name, t))
                throw new ModelFormatException($"{file.Path}: tensors '{_byHfName[name].Name}' and '{t.Name}' both map to '{name}'");
            _tensors[name] = new TensorInfo(name, t.DType, t.Shape);
        }
        CheckpointSchema.Validate(config, _tensors, file.Path, hf => GgufTensorNames.ToGguf(hf) ?? hf);
    }

    GgufTensor Get(string name) => _byHfName.TryGetValue(name, out var t) ? t
        : throw new ModelFormatException($"{_file.Path}: no tensor '{name}' (llama.cpp name '{GgufTensorNames.ToGguf(name) ?? name}')");

    public void ReadF32(string name, Span<float> destination)
    {
        var t = Get(name);
        if (!GgufTensorNames.IsRopePermuted(_config.Architecture, name))
        {
            _file.ReadF32(t, destination);
            return;
        }
        int heads = name.EndsWith(".q_proj.weight", StringComparison.Ordinal) ? _config.NumHeads : _config.NumKvHeads;
        var permuted = ArrayPool<float>.Shared.Rent(destination.Length);
        try
        {
            var p = permuted.AsSpan(0, destination.Length);
            _file.ReadF32(t, p);
            GgufTensorNames.UnpermuteFromGguf(p, destination, heads, _config.HiddenSize);
        }
        finally { ArrayPool<float>.Shared.Return(permuted); }
    }

    public void ReadStored(string name, byte* destination)
    {
        var t = Get(name);
        byte* src = _file.DataPointer(t);
        if (!GgufTensorNames.IsRopePermuted(_config.Architecture, name))
        {
            Buffer.MemoryCopy(src, destination, t.ByteSize, t.ByteSize);
            return;
        }
        int heads = name.EndsWith(".q_proj.weight", StringComparison.Ordinal) ? _config.NumHeads : _config.NumKvHeads;
        int rows = (int)t.Shape[0];
        GgufTensorNames.PermuteRows(src, destination, heads, rows, t.ByteSize / rows, toGguf: false);
    }

    public byte* TryMap(string name)
    {
        var t = Get(name);
        if (GgufTensorNames.IsRopePermuted(_config.Architecture, name)) return null;
        byte* p = _file.DataPointer(t);
        return t.DType != TensorDType.F32 || ((nuint)p & 3) == 0 ? p : null;
    }

    public void Release(string name) => _file.Release(Get(name));

    public void Dispose() => _file.Dispose();
}
