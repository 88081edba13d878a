using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Text;

/// <summary>
/// The tokenizer embedded in a GGUF file (gguf-py constants.py Keys.Tokenizer), run the way llama.cpp runs it
/// (llama-vocab.cpp llama_vocab::impl::load and tokenize_impl): tokenizer.ggml.model "gpt2" is byte-level BPE with the
/// pre-tokenizer regex named by tokenizer.ggml.pre, "llama" is SentencePiece with scores (<see cref="SpmEncoder"/>).
/// </summary>
public static class GgufTokenizer
{
    /// <summary>Texts llama.cpp also treats as end of generation when they are in the vocabulary (llama-vocab.cpp special_eog_ids).</summary>
    static readonly string[] EndOfGenerationTexts = ["<|eot_id|>", "<|im_end|>", "<|endoftext|>", "<|eom_id|>", "<end_of_turn>", "<|end|>", "<EOT>"];

    public static Tokenizer Load(string path)
    {
        using var file = GgufFile.Open(path);
        return Load(file);
    }

    public static Tokenizer Load(GgufFile file)
    {
        var v = GgufVocab.Read(file) ?? throw new ModelFormatException($"{file.Path}: metadata 'tokenizer.ggml.tokens' is missing: the file has no tokenizer");
        int n = v.Tokens.Count;
        var tokens = v.Tokens.ToArray();
        var isAdded = new bool[n];
        var isSpecial = new bool[n];
        for (int i = 0; i < n; i++)
        {
            // llama-vocab.cpp cache_special_tokens: control, user-defined and unknown tokens are matched whole in input.
            int type = v.TokenTypes[i];
            isAdded[i] = type is GgufVocab.Control or GgufVocab.UserDefined or GgufVocab.Unknown;
            isSpecial[i] = type is GgufVocab.Control or GgufVocab.Unknown;
        }
        var vocab = new Vocabulary(tokens, isAdded, isSpecial);
        bool? Flag(string key) => file.Metadata.TryGetValue(key, out var x) ? x as bool? : null;
        int? Id(string key) => file.Has(key) ? file.GetInt32(key) : null;

        ISegmentEncoder encoder;
        bool addBos, addEos, strip;
        DecodeStyle style;
        switch (v.Model)
        {
            case "llama":
                // llama-vocab.cpp load: SPM defaults add_space_prefix, add_bos; tokenizer.ggml.add_space_prefix overrides.
                bool prefixSpace = Flag("tokenizer.ggml.add_space_prefix") ?? true;
                CheckByteFallback(vocab, file.Path);
                encoder = new SpmEncoder(vocab, v.Scores.ToArray(), prefixSpace);
                (addBos, addEos, strip, style) = (true, false, prefixSpace, DecodeStyle.SentencePiece);
                break;
            case "gpt2":
                string pre = v.Pre ?? "default";
                (string pattern, bool ignoreMerges, addBos) = pre switch
                {
                    "llama3" or "llama-v3" or "llama-bpe" => (PreTokenizerPatterns.Llama3, true, true),
                    "qwen2" or "deepseek-r1-qwen" => (PreTokenizerPatterns.Qwen2, false, false),
                    "default" or "gpt-2" or "gpt2" => (PreTokenizerPatterns.Gpt2, false, false),
                    _ => throw new ModelFormatException(
                        $"{file.Path}: metadata 'tokenizer.ggml.pre' is '{pre}'; supported: llama-bpe (llama3, llama-v3), qwen2, gpt-2, default"),
                };
                var merges = (v.Merges ?? throw new ModelFormatException($"{file.Path}: metadata 'tokenizer.ggml.merges' is missing (needed for model gpt2)"))
                    .Select((line, i) => Bpe.ParseLine(line, $"{file.Path} tokenizer.ggml.merges", i)).ToList();
                encoder = new BpeEncoder(vocab, Bpe.FromPairs(merges, vocab, $"{file.Path} tokenizer.ggml.merges"))
                {
                    Splitter = PreTokenizerPatterns.Create(pattern), ByteLevel = true, IgnoreMerges = ignoreMerges,
                };
                (addEos, strip, style) = (false, false, DecodeStyle.ByteLevel);
                break;
            default:
                throw new ModelFormatException($"{file.Path}: metadata 'tokenizer.ggml.model' is '{v.Model}'; supported: llama (SentencePiece), gpt2 (byte-level BPE)");
        }
        // A family default (SPM adds BOS) only applies when the vocabulary has a BOS; an explicit flag must have one.
        addBos = Flag("tokenizer.ggml.add_bos_token") ?? (addBos && v.BosTokenId is not null);
        addEos = Flag("tokenizer.ggml.add_eos_token") ?? addEos;
        int? bos = CheckId(v.BosTokenId, n, file, "tokenizer.ggml.bos_token_id");
        int? eos = CheckId(v.EosTokenId, n, file, "tokenizer.ggml.eos_token_id");
        var eog = new List<int>();
        foreach (var key in new[] { "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id" })
            if (CheckId(Id(key), n, file, key) is int id) eog.Add(id);
        foreach (var text in EndOfGenerationTexts)
            if (vocab[text] is int id && isAdded[id]) eog.Add(id);
        if (addBos && bos is null) throw new ModelFormatException($"{file.Path}: tokenizer.ggml.add_bos_token is true but tokenizer.ggml.bos_token_id is missing");
        if (addEos && eos is null) throw new ModelFormatException($"{file.Path}: tokenizer.ggml.add_eos_token is true but tokenizer.ggml.eos_token_id is missing");
        return new Tokenizer(vocab, encoder, new TokenizerOptions
        {
            DecodeStyle = style, StripLeadingSpace = strip, BosTokenId = bos, EosTokenIds = eog.Distinct().ToArray(),
            PrefixIds = addBos ? [bos!.Value] : [], SuffixIds = addEos ? [eos!.Value] : [],
        });
    }

    static int? CheckId(int? id, int n, GgufFile file, string key) => id is null || (id >= 0 && id < n) ? id
        : throw new ModelFormatException($"{file.Path}: metadata '{key}' is {id}, outside the vocabulary (0..{n - 1})");

    /// <summary>
    /// A SentencePiece vocabulary falls back to &lt;0xXX&gt; byte tokens for text it has no piece for (llama.cpp does the
    /// same and fails the same way without them). With some byte tokens but not every byte UTF-8 text can hold, some
    /// texts cannot be tokenized at all (a vocabulary cut short, e.g. `drllm init-model --vocab 128`): refused at load,
    /// so the command says the model has no usable tokenizer instead of failing on the first such character.
    /// A vocabulary with no byte tokens at all is a SentencePiece model without byte fallback and is left alone.
    /// </summary>
    static void CheckByteFallback(Vocabulary vocab, string path)
    {
        // Bytes valid UTF-8 can contain: all but 0xC0, 0xC1 and 0xF5..0xFF.
        var missing = Enumerable.Range(0, 0xF5).Where(b => b is not (0xC0 or 0xC1) && vocab[$"<0x{b:X2}>"] is null).ToList();
        int present = Enumerable.Range(0, 256).Count(b => vocab[$"<0x{b:X2}>"] is not null);
        if (present > 0 && missing.Count > 0)
            throw new ModelFormatException($"{path}: the SentencePiece vocabulary ({vocab.Count} tokens) has byte tokens for {present} of the 256 bytes " +
                $"and lacks {missing.Count} that UTF-8 text needs (<0x{missing[0]:X2}> first), so it cannot tokenize every text: " +
                "this model has no usable tokenizer (give token ids with --tokens)");
    }
}
