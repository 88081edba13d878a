using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;
using DrLlm.Engine.Tests.Formats;
using DrLlm.Engine.Text;
using DrLlm.Tests.Shared;

namespace DrLlm.Engine.Tests.Text;

/// <summary>
/// Issue 16: a tokenizer.json of the wrong shape is one error naming the file and the part (not a bare JSON type
/// error), and the placeholder vocabulary of a GGUF written by init-model either round-trips any text or is refused
/// at load as "no usable tokenizer".
/// </summary>
public class TokenizerInputTests
{
    [Theory]
    [InlineData("""{"model": []}""", "model: unexpected JSON")]
    [InlineData("""[1, 2]""", "must be a JSON object (tokenizers' serialization), not Array")]
    [InlineData("""{"model": {"type": "BPE", "vocab": [1, 2]}}""", "model.vocab: unexpected JSON")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": "zero"}}}""", "model.vocab: unexpected JSON")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}}, "added_tokens": [{"id": "q", "content": "b"}]}""", "added_tokens: unexpected JSON")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [[1, 2]]}}""", "model.merges: unexpected JSON")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}}, "normalizer": {"type": "Sequence", "normalizers": {}}}""", "normalizer: unexpected JSON")]
    [InlineData("""{"model": {"type": 3, "vocab": {"a": 0}}}""", "model: unexpected JSON")]
    [InlineData("""{"model": {"type": "BPE", "vocab": {"a": 0}}, "decoder": {"type": "Sequence", "decoders": 5}}""", "decoder: unexpected JSON")]
    public void A_tokenizer_json_of_the_wrong_shape_names_the_file_and_the_part(string json, string expected)
    {
        using var dir = new TempDir();
        string path = dir.File("tokenizer.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<ModelFormatException>(() => TokenizerLoader.Load(path));
        Assert.StartsWith($"{path}: {expected}", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void A_tokenizer_config_json_of_the_wrong_shape_names_its_file()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("tokenizer.json"), """{"model": {"type": "BPE", "vocab": {"a": 0}}}""");
        File.WriteAllText(dir.File("tokenizer_config.json"), """{"chat_template": [{"name": 5}]}""");
        var e = Assert.Throws<ModelFormatException>(() => ChatTemplate.Find(dir.Path));
        Assert.Contains(dir.File("tokenizer_config.json"), e.Message);
        File.WriteAllText(dir.File("tokenizer_config.json"), "[]");
        Assert.Contains("must be a JSON object", Assert.Throws<ModelFormatException>(() => ChatTemplate.Find(dir.Path)).Message);
    }

    private static string Gguf(TempDir dir, int vocab)
    {
        var c = TinyModels.Config(Architecture.Llama) with { VocabSize = vocab };
        string path = dir.File($"v{vocab}.gguf");
        GgufCheckpointWriter.Write(path, c, RandomInit.Weights(c, 1, 0.02f), TensorDType.F32);
        return path;
    }

    private static readonly string[] Texts = [" ", "a b", "  two  spaces ", "é ü ß", "日本語", "🎉 emoji", "tab\tnew\nline", "\u0001\u007f"];

    [Theory]
    [InlineData(248)]
    [InlineData(259)]
    [InlineData(1000)]
    public void A_placeholder_vocabulary_with_room_for_the_byte_tokens_round_trips_any_text(int vocab)
    {
        using var dir = new TempDir();
        var t = TokenizerLoader.Load(Gguf(dir, vocab));
        foreach (var text in Texts) Assert.Equal(text, t.Decode(t.Encode(text), skipSpecialTokens: true));
    }

    [Fact]
    public void A_placeholder_vocabulary_too_small_for_the_byte_tokens_is_no_usable_tokenizer()
    {
        using var dir = new TempDir();
        string path = Gguf(dir, 128);
        var e = Assert.Throws<ModelFormatException>(() => TokenizerLoader.Load(path));
        Assert.StartsWith($"{path}: the SentencePiece vocabulary (128 tokens) has byte tokens for 125 of the 256 bytes", e.Message);
        Assert.EndsWith("this model has no usable tokenizer (give token ids with --tokens)", e.Message);

        // init-model says so when it writes such a file; generate --prompt refuses in one line, --tokens still works.
        string cli = dir.File("cli.gguf");
        var (code, _, err) = DrllmProcess.Run("init-model", "--out", cli, "--shape", "custom", "--vocab", "128");
        Assert.Equal(0, code);
        Assert.Contains($"note: {cli}: the SentencePiece vocabulary (128 tokens)", err);
        (code, var output, err) = DrllmProcess.Run("generate", "--model", cli, "--prompt", "a b", "--threads", "1");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Matches(@"^error: .*no usable tokenizer \(give token ids with --tokens\)$", err.Trim());
        (code, output, err) = DrllmProcess.Run("generate", "--model", cli, "--tokens", "1,2", "--max-new-tokens", "2", "--threads", "1");
        Assert.True(code == 0, err);
    }
}
