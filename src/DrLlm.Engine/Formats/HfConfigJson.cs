using System.Text.Json;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Formats;

/// <summary>
/// Hugging Face <c>config.json</c> ↔ <see cref="ModelConfig"/>, with transformers' field names and defaults
/// (LlamaConfig, Qwen2Config, Qwen3Config).
/// </summary>
public static class HfConfigJson
{
    public static ModelConfig Read(string path)
    {
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: config.json not found");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new ModelFormatException($"{path}: not valid JSON ({e.Message})", e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{path}: expected a JSON object, got {root.ValueKind}");
            var arch = ReadArchitecture(path, root);

            int Int(string field, int? fallback = null)
            {
                if (!root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
                    return fallback ?? throw new ModelFormatException($"{path}: missing field '{field}' (an integer expected)");
                return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int x) ? x
                    : throw new ModelFormatException($"{path}: field '{field}' is {v}, an integer expected");
            }
            float Float(string field, float fallback)
            {
                if (!root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
                return v.ValueKind == JsonValueKind.Number ? (float)v.GetDouble()
                    : throw new ModelFormatException($"{path}: field '{field}' is {v}, a number expected");
            }
            bool Bool(string field, bool fallback)
            {
                if (!root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
                return v.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw new ModelFormatException($"{path}: field '{field}' is {v}, true or false expected"),
                };
            }

            // Variants the decoder does not implement must not load silently.
            if (root.TryGetProperty("hidden_act", out var act) && act.ValueKind == JsonValueKind.String && act.GetString() != "silu")
                throw new ModelFormatException($"{path}: hidden_act '{act.GetString()}' is not supported (expected \"silu\")");
            if (arch != Architecture.Qwen2 && Bool("attention_bias", false))
                throw new ModelFormatException($"{path}: attention_bias true is not supported for {arch} (expected false)");
            if (Bool("mlp_bias", false))
                throw new ModelFormatException($"{path}: mlp_bias true is not supported (expected false)");

            int hidden = Int("hidden_size");
            int heads = Int("num_attention_heads");
            var config = new ModelConfig
            {
                Architecture = arch,
                HiddenSize = hidden,
                IntermediateSize = Int("intermediate_size"),
                NumLayers = Int("num_hidden_layers"),
                NumHeads = heads,
                NumKvHeads = Int("num_key_value_heads", heads),
                VocabSize = Int("vocab_size"),
                HeadDim = Int("head_dim", heads > 0 ? hidden / heads : 0),
                RmsNormEps = Float("rms_norm_eps", 1e-6f),
                RopeTheta = Float("rope_theta", 10000f),
                RopeScaling = ReadRopeScaling(path, root),
                TieWordEmbeddings = Bool("tie_word_embeddings", false),
                MaxPositionEmbeddings = Int("max_position_embeddings", 4096),
                BosTokenId = root.TryGetProperty("bos_token_id", out var b) && b.ValueKind != JsonValueKind.Null ? Int("bos_token_id") : null,
                EosTokenIds = ReadEos(path, root),
            };
            config.Validate(path);
            return config;
        }
    }

    static Architecture ReadArchitecture(string path, JsonElement root)
    {
        if (root.TryGetProperty("architectures", out var archs) && archs.ValueKind == JsonValueKind.Array && archs.GetArrayLength() > 0)
        {
            string name = archs[0].ToString();
            return name switch
            {
                "LlamaForCausalLM" => Architecture.Llama,
                "Qwen2ForCausalLM" => Architecture.Qwen2,
                "Qwen3ForCausalLM" => Architecture.Qwen3,
                _ => throw new ModelFormatException($"{path}: architectures '{name}' is not supported (expected LlamaForCausalLM, Qwen2ForCausalLM or Qwen3ForCausalLM)"),
            };
        }
        string type = root.TryGetProperty("model_type", out var mt) ? mt.ToString() : "(missing)";
        return type switch
        {
            "llama" => Architecture.Llama,
            "qwen2" => Architecture.Qwen2,
            "qwen3" => Architecture.Qwen3,
            _ => throw new ModelFormatException($"{path}: model_type '{type}' is not supported (expected llama, qwen2 or qwen3)"),
        };
    }

    /// <summary>transformers' rope_scaling: null or rope_type "default" means none; "llama3" is the only scaling we implement.</summary>
    static RopeScaling? ReadRopeScaling(string path, JsonElement root)
    {
        if (!root.TryGetProperty("rope_scaling", out var s) || s.ValueKind == JsonValueKind.Null) return null;
        if (s.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{path}: rope_scaling must be an object or null, got {s}");
        // Older configs say "type", newer "rope_type".
        string type = s.TryGetProperty("rope_type", out var t) || s.TryGetProperty("type", out t) ? t.ToString() : "default";
        if (type == "default") return null;
        if (type != "llama3")
            throw new ModelFormatException($"{path}: rope_scaling type '{type}' is not supported (expected \"llama3\", \"default\" or null)");
        float Num(string field) => s.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number ? (float)v.GetDouble()
            : throw new ModelFormatException($"{path}: rope_scaling.{field} must be a number for llama3 scaling");
        float orig = Num("original_max_position_embeddings");
        if (orig != MathF.Floor(orig) || orig <= 0)
            throw new ModelFormatException($"{path}: rope_scaling.original_max_position_embeddings must be a positive integer, got {orig}");
        var scaling = new RopeScaling(Num("factor"), Num("low_freq_factor"), Num("high_freq_factor"), (int)orig);
        if (!(scaling.HighFreqFactor > scaling.LowFreqFactor) || !(scaling.Factor > 0) || !(scaling.LowFreqFactor > 0))
            throw new ModelFormatException($"{path}: rope_scaling needs factor > 0 and high_freq_factor > low_freq_factor > 0, got {scaling}");
        return scaling;
    }

    /// <summary>eos_token_id is an integer or, in Llama-3.1 instruct configs, a list of them.</summary>
    static IReadOnlyList<int> ReadEos(string path, JsonElement root)
    {
        if (!root.TryGetProperty("eos_token_id", out var e) || e.ValueKind == JsonValueKind.Null) return [];
        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int one)) return [one];
        if (e.ValueKind == JsonValueKind.Array)
            return e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out int id) ? id
                : throw new ModelFormatException($"{path}: eos_token_id list holds {x}, integers expected")).ToList();
        throw new ModelFormatException($"{path}: eos_token_id is {e}, an integer or a list of integers expected");
    }

    public static void Write(string path, ModelConfig c, TensorDType dtype)
    {
        if (c.RopeFreqFactors is not null && c.RopeScaling is null)
            throw new ModelFormatException($"{path}: config has rope_freqs factors but no rope_scaling; config.json can only express llama3 rope_scaling");
        var (archName, modelType) = c.Architecture switch
        {
            Architecture.Llama => ("LlamaForCausalLM", "llama"),
            Architecture.Qwen2 => ("Qwen2ForCausalLM", "qwen2"),
            Architecture.Qwen3 => ("Qwen3ForCausalLM", "qwen3"),
            _ => throw new ModelFormatException($"{path}: architecture {c.Architecture} has no Hugging Face name"),
        };
        string torchDtype = dtype switch
        {
            TensorDType.F32 => "float32",
            TensorDType.F16 => "float16",
            TensorDType.BF16 => "bfloat16",
            _ => throw new ModelFormatException($"{path}: safetensors has no {dtype}; use F32, F16 or BF16"),
        };
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteStartArray("architectures"); w.WriteStringValue(archName); w.WriteEndArray();
        w.WriteString("model_type", modelType);
        w.WriteString("hidden_act", "silu");
        w.WriteNumber("hidden_size", c.HiddenSize);
        w.WriteNumber("intermediate_size", c.IntermediateSize);
        w.WriteNumber("num_hidden_layers", c.NumLayers);
        w.WriteNumber("num_attention_heads", c.NumHeads);
        w.WriteNumber("num_key_value_heads", c.NumKvHeads);
        w.WriteNumber("head_dim", c.HeadDim);
        w.WriteNumber("vocab_size", c.VocabSize);
        w.WriteNumber("max_position_embeddings", c.MaxPositionEmbeddings);
        w.WriteNumber("rms_norm_eps", c.RmsNormEps);
        w.WriteNumber("rope_theta", c.RopeTheta);
        if (c.RopeScaling is { } s)
        {
            w.WriteStartObject("rope_scaling");
            w.WriteString("rope_type", "llama3");
            w.WriteNumber("factor", s.Factor);
            w.WriteNumber("low_freq_factor", s.LowFreqFactor);
            w.WriteNumber("high_freq_factor", s.HighFreqFactor);
            w.WriteNumber("original_max_position_embeddings", s.OriginalMaxPositionEmbeddings);
            w.WriteEndObject();
        }
        else w.WriteNull("rope_scaling");
        w.WriteBoolean("tie_word_embeddings", c.TieWordEmbeddings);
        if (c.BosTokenId is int bos) w.WriteNumber("bos_token_id", bos);
        if (c.EosTokenIds.Count == 1) w.WriteNumber("eos_token_id", c.EosTokenIds[0]);
        else if (c.EosTokenIds.Count > 1)
        {
            w.WriteStartArray("eos_token_id");
            foreach (int id in c.EosTokenIds) w.WriteNumberValue(id);
            w.WriteEndArray();
        }
        w.WriteString("torch_dtype", torchDtype);
        w.WriteEndObject();
    }
}
