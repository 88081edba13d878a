using System.Text.Json;
using DrLlm.Engine.Model;
using DrLlm.Engine.Tests.Formats;
using DrLlm.Engine.Text;
using DrLlm.Engine.Text.Unicode;

namespace DrLlm.Engine.Tests.Text;

public class TokenizerTests
{
    static readonly Lazy<Tokenizer> Llama3 = new(() => HfTokenizerFiles.Load(VocabCases.TokenizerJson("llama3")));
    static readonly Lazy<Tokenizer> Qwen3 = new(() => HfTokenizerFiles.Load(VocabCases.TokenizerJson("qwen3")));
    static readonly Lazy<Tokenizer> Llama2 = new(() => HfTokenizerFiles.Load(VocabCases.TokenizerJson("llama2")));

    public static readonly string[] Texts =
    [
        "Hello, world! It's 2025-11-22 and π ≈ 3.14159.",
        "Ünïcödé façade — naïve café; Straße; ÆØÅ æøå",
        "Здравствуй, мир! Γειά σου Κόσμε! שלום עולם مرحبا بالعالم",
        "日本語のテキストと中文文本，还有한국어 텍스트.",
        "emoji 🦙🚀😶‍🌫️ ✅ flags 🇫🇷 and 𝓗𝓮𝓵𝓵𝓸 math letters",
        "def f(x):\n\treturn x ** 2  # comment\r\n\n\n    indented\u00a0nbsp",
        "   leading and trailing   ",
        "",
        "a",
        "'s 'T 'Re we'VE I'll y'all",
    ];

    public static TheoryData<string> Families => ["llama3", "qwen3", "llama2"];

    static Tokenizer For(string family) => family switch { "llama3" => Llama3.Value, "qwen3" => Qwen3.Value, _ => Llama2.Value };

    [Theory, MemberData(nameof(Families))]
    public void Decode_of_encode_gives_the_text_back(string family)
    {
        var t = For(family);
        foreach (var text in Texts)
            Assert.Equal(text, t.Decode(t.Encode(text), skipSpecialTokens: true));
    }

    [Theory]
    [InlineData("llama-bpe")]
    [InlineData("qwen2")]
    [InlineData("llama-spm")]
    public void Gguf_tokenizers_round_trip_too(string vocab)
    {
        var t = GgufTokenizer.Load(VocabCases.Gguf(vocab));
        foreach (var text in Texts)
            Assert.Equal(text, t.Decode(t.Encode(text), skipSpecialTokens: true));
    }

    [Fact]
    public void Special_tokens_in_text_are_single_ids()
    {
        var l = Llama3.Value;
        Assert.Equal(128000, l.TokenToId("<|begin_of_text|>"));
        Assert.Equal([128000, 128006, 882, 128007, 271, 13347, 128009], l.Encode("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", addSpecialTokens: false));
        Assert.Equal("<|start_header_id|>user", l.Decode([128006, 882]));
        Assert.Equal("user", l.Decode([128006, 882], skipSpecialTokens: true));

        var q = Qwen3.Value;
        var ids = q.Encode("<|im_start|>user\nHi<|im_end|>\n");
        Assert.Equal(151644, ids[0]);
        Assert.Equal(151645, ids[^2]);
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n", q.Decode(ids));
        // Plain text that merely looks like a special token is not one when special parsing is off.
        Assert.DoesNotContain(151644, q.Encode("<|im_start|>", addSpecialTokens: false, parseSpecialTokens: false));
    }

    [Fact]
    public void Bos_and_eos_follow_each_models_files()
    {
        // Llama-3's tokenizer.json post_processor is ByteLevel only: no BOS (its chat template writes bos_token itself).
        Assert.Equal(128000, Llama3.Value.BosTokenId);
        Assert.Equal([9906], Llama3.Value.Encode("Hello"));
        Assert.Equal([128001], Llama3.Value.EosTokenIds);
        Assert.Null(Qwen3.Value.BosTokenId);
        Assert.Equal([151645], Qwen3.Value.EosTokenIds);
        Assert.Equal(1, Llama2.Value.Encode("Hello")[0]);
        Assert.Equal([2], Llama2.Value.EosTokenIds);

        var spm = GgufTokenizer.Load(VocabCases.Gguf("llama-spm"));
        Assert.Equal([1, 15043], spm.Encode("Hello"));     // SPM adds BOS by default (llama-vocab.cpp)
        Assert.Equal("Hello", spm.Decode([1, 15043], skipSpecialTokens: true));
        var bpe = GgufTokenizer.Load(VocabCases.Gguf("llama-bpe"));
        Assert.Equal([128000, 9906], bpe.Encode("Hello")); // llama-bpe sets add_bos
        Assert.Contains(128009, bpe.EosTokenIds);           // <|eot_id|> ends generation, as in llama.cpp
        Assert.Equal([9707], GgufTokenizer.Load(VocabCases.Gguf("qwen2")).Encode("Hello"));
    }

    [Fact]
    public void Llama3_tokenizer_json_and_gguf_agree_on_varied_text()
    {
        var gguf = GgufTokenizer.Load(VocabCases.Gguf("llama-bpe"));
        foreach (var text in Texts)
            Assert.Equal(gguf.Encode(text, false, false), Llama3.Value.Encode(text, false, false));
    }

    [Fact]
    public void Regex_and_hand_written_splitters_agree()
    {
        foreach (var (pattern, digits) in new[] { (PreTokenizerPatterns.Llama3, 3), (PreTokenizerPatterns.Qwen2, 1) })
        {
            var regex = new RegexSplitter(PreTokenizerPatterns.AdaptForDotNet(pattern));
            var fast = new Llama3Splitter(digits);
            foreach (var text in Texts.Concat(VocabCases.Load("llama-bpe").Select(c => c.Text)))
            {
                if (text.Any(char.IsSurrogate)) continue; // .NET's \p{L} does not see letters outside the BMP
                var a = new List<(int, int)>(); var b = new List<(int, int)>();
                regex.Split(text, a); fast.Split(text, b);
                Assert.Equal(a, b);
            }
        }
    }

    [Fact]
    public void Nfc_composes_like_unicode_says()
    {
        Assert.Equal("\u00e9", Nfc.Normalize("e\u0301"));
        Assert.Equal("\u1e69", Nfc.Normalize("s\u0323\u0307"));           // reordered then composed
        Assert.Equal("\u1e69", Nfc.Normalize("s\u0307\u0323"));
        Assert.Equal("\uac00", Nfc.Normalize("\u1100\u1161"));            // Hangul LV
        Assert.Equal("\uac01", Nfc.Normalize("\u1100\u1161\u11a8"));      // Hangul LVT
        Assert.Equal("\u212b".Length, Nfc.Normalize("\u212b").Length);    // Ångström sign → Å (singleton)
        Assert.Equal("\u00c5", Nfc.Normalize("\u212b"));
        Assert.Equal("a\u0301\u0301".Length - 1, Nfc.Normalize("a\u0301\u0301").Length);
        // Qwen's normalizer is NFC: decomposed and composed input give the same ids.
        Assert.Equal(Qwen3.Value.Encode("cafe\u0301"), Qwen3.Value.Encode("caf\u00e9"));
    }

    [Fact]
    public void Pure_byte_level_vocabulary_with_no_merges_round_trips()
    {
        using var dir = new TempDir();
        var vocab = new Dictionary<string, int>();
        for (int b = 0; b < 256; b++) vocab[ByteLevel.ByteToChar[b].ToString()] = b;
        var json = new
        {
            version = "1.0",
            added_tokens = new object[]
            {
                new { id = 256, content = "<|bos|>", special = true, single_word = false, lstrip = false, rstrip = false, normalized = false },
                new { id = 257, content = "<|eos|>", special = true, single_word = false, lstrip = false, rstrip = false, normalized = false },
            },
            normalizer = (object?)null,
            pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            post_processor = (object?)null,
            decoder = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            model = new { type = "BPE", vocab, merges = Array.Empty<string>() },
        };
        File.WriteAllText(dir.File("tokenizer.json"), JsonSerializer.Serialize(json));
        File.WriteAllText(dir.File("tokenizer_config.json"), """{"bos_token": "<|bos|>", "eos_token": "<|eos|>", "add_bos_token": true}""");
        var t = TokenizerLoader.Load(dir.Path);
        Assert.Equal(258, t.VocabSize);
        Assert.Equal([256, 104, 105, 32, 0xC3, 0xA9], t.Encode("hi é"));
        Assert.Equal([257], t.EosTokenIds);
        foreach (var text in Texts) Assert.Equal(text, t.Decode(t.Encode(text), skipSpecialTokens: true));
        Assert.Equal("<|bos|>hi<|eos|>", t.Decode(t.Encode("hi<|eos|>")));
    }

    [Fact]
    public void Loader_errors_name_the_file_and_the_field()
    {
        using var dir = new TempDir();
        var path = dir.File("tokenizer.json");
        File.WriteAllText(path, """{"model": {"type": "Unigram", "vocab": []}}""");
        var e = Assert.Throws<ModelFormatException>(() => TokenizerLoader.Load(path));
        Assert.Contains(path, e.Message); Assert.Contains("model.type", e.Message);

        File.WriteAllText(path, """{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a c"]}}""");
        e = Assert.Throws<ModelFormatException>(() => TokenizerLoader.Load(path));
        Assert.Contains("merge 0", e.Message);

        File.WriteAllText(path, """{"normalizer": {"type": "NFKC"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}""");
        e = Assert.Throws<ModelFormatException>(() => TokenizerLoader.Load(path));
        Assert.Contains("normalizer.type 'NFKC'", e.Message);

        File.WriteAllText(path, "{ not json");
        e = Assert.Throws<ModelFormatException>(() => TokenizerLoader.Load(path));
        Assert.Contains(path, e.Message);

        Assert.Throws<FileNotFoundException>(() => TokenizerLoader.Load(dir.File("missing.json")));
        Assert.Throws<ArgumentException>(() => Llama3.Value.Decode([999_999]));
    }
}
