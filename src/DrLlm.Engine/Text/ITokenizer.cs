namespace DrLlm.Engine.Text;

/// <summary>
/// Text ↔ token ids for one model. Loaded by <see cref="TokenizerLoader.Load"/> from a tokenizer.json, a Hugging Face
/// model directory or a GGUF file.
/// </summary>
public interface ITokenizer
{
    /// <summary>One more than the largest id (model vocabulary and added tokens).</summary>
    int VocabSize { get; }

    /// <summary>
    /// Token ids of <paramref name="text"/>. Added/special tokens written in the text (e.g. "&lt;|im_start|&gt;") become
    /// their single id, as Hugging Face does for added tokens. With <paramref name="addSpecialTokens"/> the model's BOS/EOS
    /// rule applies (tokenizer_config.json add_bos_token, tokenizer.json post_processor, GGUF tokenizer.ggml.add_bos_token).
    /// </summary>
    int[] Encode(string text, bool addSpecialTokens = true);

    /// <summary>The text of <paramref name="ids"/>; invalid UTF-8 from partial byte tokens becomes U+FFFD.</summary>
    string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false);

    int? BosTokenId { get; }

    /// <summary>Ids that end a generation (EOS, end-of-turn).</summary>
    IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>The id of a token's stored text (e.g. "Ġhello", "▁the", "&lt;|eot_id|&gt;"), or null.</summary>
    int? TokenToId(string token);

    /// <summary>The stored text of token <paramref name="id"/>.</summary>
    string IdToToken(int id);
}
