using System.Text.Json;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Text;

/// <summary>
/// BOS/EOS from the files beside tokenizer.json: tokenizer_config.json (bos_token, eos_token, add_bos_token,
/// add_eos_token, as transformers' LlamaTokenizerFast.update_post_processor uses them) and generation_config.json
/// (eos_token_id, an id or a list, e.g. Llama-3.1-Instruct's [128001, 128008, 128009]).
/// </summary>
public static class HfSpecialTokens
{
    public static TokenizerOptions Apply(TokenizerOptions options, Vocabulary vocab, string dir)
    {
        int? bos = null;
        var eos = new List<int>();
        var prefix = options.PrefixIds;
        var suffix = options.SuffixIds;
        var configPath = Path.Combine(dir, "tokenizer_config.json");
        if (File.Exists(configPath))
        {
            using var doc = ParseFile(configPath);
            var root = doc.RootElement;
            bos = TokenId(root, "bos_token", vocab, configPath);
            if (TokenId(root, "eos_token", vocab, configPath) is int e) eos.Add(e);
            if (root.TryGetProperty("add_bos_token", out var ab) && ab.ValueKind is JsonValueKind.True or JsonValueKind.False)
                prefix = ab.GetBoolean()
                    ? [bos ?? throw new ModelFormatException($"{configPath}: add_bos_token is true but bos_token names no token")]
                    : [];
            if (root.TryGetProperty("add_eos_token", out var ae) && ae.ValueKind is JsonValueKind.True or JsonValueKind.False)
                suffix = ae.GetBoolean()
                    ? [eos.Count > 0 ? eos[0] : throw new ModelFormatException($"{configPath}: add_eos_token is true but eos_token names no token")]
                    : [];
        }
        var generationPath = Path.Combine(dir, "generation_config.json");
        if (File.Exists(generationPath))
        {
            using var doc = ParseFile(generationPath);
            if (doc.RootElement.TryGetProperty("eos_token_id", out var ids))
            {
                if (ids.ValueKind == JsonValueKind.Number) eos.Add(ids.GetInt32());
                else if (ids.ValueKind == JsonValueKind.Array)
                    foreach (var x in ids.EnumerateArray())
                        eos.Add(x.ValueKind == JsonValueKind.Number ? x.GetInt32()
                            : throw new ModelFormatException($"{generationPath}: eos_token_id holds {x}, integers expected"));
            }
        }
        if (bos is null && prefix.Count > 0) bos = prefix[0];
        if (eos.Count == 0) eos.AddRange(suffix);
        foreach (int id in eos.Append(bos ?? 0))
            if (id < 0 || id >= vocab.Count)
                throw new ModelFormatException($"{dir}: special token id {id} is outside the vocabulary (0..{vocab.Count - 1})");
        return options with { BosTokenId = bos, EosTokenIds = eos.Distinct().ToArray(), PrefixIds = prefix, SuffixIds = suffix };
    }

    internal static JsonDocument ParseFile(string path)
    {
        try { return JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new ModelFormatException($"{path}: not valid JSON: {e.Message}", e); }
    }

    /// <summary>A special token named in tokenizer_config.json, as a string or an AddedToken object {"content": …}.</summary>
    static int? TokenId(JsonElement root, string field, Vocabulary vocab, string path)
    {
        if (!root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        string? text = v.ValueKind == JsonValueKind.String ? v.GetString()
            : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) ? c.GetString() : null;
        if (text is null) throw new ModelFormatException($"{path}: {field} is {v}, a string or {{\"content\": …}} expected");
        return vocab[text] ?? throw new ModelFormatException($"{path}: {field} '{text}' is not in the vocabulary");
    }
}
