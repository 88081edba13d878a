namespace DrLlm.Engine.Formats;

/// <summary>
/// The tokenizer as GGUF stores it (gguf-py constants.py, Keys.Tokenizer): <c>tokenizer.ggml.model</c> ("llama"
/// for SentencePiece, "gpt2" for byte-level BPE), parallel token/score/type arrays, and the special ids.
/// Token types follow llama.h llama_token_type: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
/// </summary>
public sealed record GgufVocab(
    string Model,
    IReadOnlyList<string> Tokens,
    IReadOnlyList<float> Scores,
    IReadOnlyList<int> TokenTypes,
    int? BosTokenId,
    int? EosTokenId)
{
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    /// <summary>BPE merges ("a b" per line) for the "gpt2" model; llama.cpp requires them there.</summary>
    public IReadOnlyList<string>? Merges { get; init; }
    /// <summary><c>tokenizer.ggml.pre</c>, the pre-tokenizer name llama.cpp uses for "gpt2" vocabularies (e.g. "qwen2").</summary>
    public string? Pre { get; init; }

    /// <summary>
    /// A stand-in vocabulary of <paramref name="size"/> tokens for checkpoints without a tokenizer, so llama.cpp will load
    /// the file (llama-vocab.cpp refuses a GGUF without tokenizer.ggml.model). SentencePiece ("llama") because it needs
    /// no merges: id 0 "&lt;unk&gt;", the bos/eos ids "&lt;s&gt;"/"&lt;/s&gt;" as control tokens, the 256 byte tokens
    /// "&lt;0x00&gt;".."&lt;0xFF&gt;" from id 3 (LLaMA's layout, so any text can be tokenized by byte fallback), every other
    /// id "&lt;tok_N&gt;". All texts are unique and none is one llama.cpp recognises by name (e.g. "&lt;|im_end|&gt;"), so
    /// no token id changes meaning. Ids that collide with bos/eos lose their byte token. The slot of byte 0xC0, which
    /// valid UTF-8 never holds, is the piece "▁" instead: SentencePiece writes spaces as "▁", and a space that only
    /// byte tokens spell decodes to "▁" (llama.cpp turns "▁" back into a space in pieces only), so without it no text
    /// with a space would round-trip. Any text round-trips once the vocabulary reaches byte 0xF4 (248 tokens).
    /// </summary>
    public static GgufVocab Placeholder(int size, int? bosTokenId, int? eosTokenId)
    {
        var tokens = new string[size];
        var types = new int[size];
        for (int i = 0; i < size; i++) { tokens[i] = $"<tok_{i}>"; types[i] = Normal; }
        for (int b = 0; b < 256 && 3 + b < size; b++) { tokens[3 + b] = $"<0x{b:X2}>"; types[3 + b] = Byte; }
        if (3 + 0xC0 < size) { tokens[3 + 0xC0] = "\u2581"; types[3 + 0xC0] = Normal; }
        if (size > 0) { tokens[0] = "<unk>"; types[0] = Unknown; }
        if (bosTokenId is int bos && bos >= 0 && bos < size) { tokens[bos] = "<s>"; types[bos] = Control; }
        if (eosTokenId is int eos && eos >= 0 && eos < size && eos != bosTokenId) { tokens[eos] = "</s>"; types[eos] = Control; }
        return new GgufVocab("llama", tokens, new float[size], types,
            bosTokenId is >= 0 && bosTokenId < size ? bosTokenId : null,
            eosTokenId is >= 0 && eosTokenId < size ? eosTokenId : null);
    }

    /// <summary>The vocabulary stored in <paramref name="file"/>, or null when it has no tokenizer.ggml.tokens.</summary>
    public static GgufVocab? Read(GgufFile file)
    {
        if (!file.Metadata.TryGetValue("tokenizer.ggml.tokens", out var t)) return null;
        var tokens = t as string[] ?? throw new Model.ModelFormatException($"{file.Path}: metadata 'tokenizer.ggml.tokens' must be an array of strings");
        var scores = file.Metadata.GetValueOrDefault("tokenizer.ggml.scores") as float[] ?? new float[tokens.Length];
        var types = file.Metadata.GetValueOrDefault("tokenizer.ggml.token_type") as int[] ?? Enumerable.Repeat(Normal, tokens.Length).ToArray();
        if (scores.Length != tokens.Length || types.Length != tokens.Length)
            throw new Model.ModelFormatException($"{file.Path}: tokenizer.ggml.scores ({scores.Length}) and token_type ({types.Length}) must have one entry per token ({tokens.Length})");
        int? Id(string key) => file.Has(key) ? file.GetInt32(key) : null;
        return new GgufVocab(file.Has("tokenizer.ggml.model") ? file.GetString("tokenizer.ggml.model") : "llama",
            tokens, scores, types, Id("tokenizer.ggml.bos_token_id"), Id("tokenizer.ggml.eos_token_id"))
        {
            Merges = file.Metadata.GetValueOrDefault("tokenizer.ggml.merges") as string[],
            Pre = file.Metadata.GetValueOrDefault("tokenizer.ggml.pre") as string,
        };
    }
}
