using System.Text.Json;
using DrLlm.Pretrain.Data;

namespace DrLlm.Pretrain.Tests;

public class DataTests
{
    [Fact]
    public void Byte_tokenizer_round_trips_utf8_and_has_the_special_ids()
    {
        const string text = "37+58=95 ünïcødé ✓\n";
        var ids = ByteTokenizer.Encode(text);
        Assert.All(ids, id => Assert.InRange(id, 0, 255));
        Assert.Equal(text, ByteTokenizer.Decode(ids));
        Assert.Equal("<|bos|>a<|eos|>", ByteTokenizer.Decode([256, 'a', 257]));
        Assert.Equal(0, ByteTokenizer.VocabSize % 8);
        Assert.True(ByteTokenizer.VocabSize > ByteTokenizer.Pad);
    }

    /// <summary>Known entries of GPT-2's bytes_to_unicode: printable ASCII is itself, space is 'Ġ', newline 'Ċ', 0 'Ā'.</summary>
    [Fact]
    public void Byte_to_unicode_is_gpt2s_table()
    {
        var m = ByteTokenizer.ByteToUnicode;
        Assert.Equal('A', m['A']);
        Assert.Equal('~', m['~']);
        Assert.Equal('\u0120', m[' ']);  // Ġ
        Assert.Equal('\u010A', m['\n']); // Ċ
        Assert.Equal('\u0100', m[0]);    // Ā
        Assert.Equal('\u0143', m[0xAD]); // soft hyphen, the last unprintable byte
        Assert.Equal(256, m.Distinct().Count());
    }

    [Fact]
    public void Tokenizer_json_is_a_byte_level_bpe_with_id_equal_to_byte()
    {
        using var dir = new TempDir();
        TokenizerFiles.Write(dir.Path, 256);
        using var doc = JsonDocument.Parse(File.ReadAllText(dir.File("tokenizer.json")));
        var root = doc.RootElement;
        var model = root.GetProperty("model");
        Assert.Equal("BPE", model.GetProperty("type").GetString());
        Assert.Equal(0, model.GetProperty("merges").GetArrayLength());
        var vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.Equal(256, vocab.Count);
        for (int b = 0; b < 256; b++) Assert.Equal(b, vocab[ByteTokenizer.ByteToUnicode[b].ToString()]);
        var pre = root.GetProperty("pre_tokenizer");
        Assert.Equal("ByteLevel", pre.GetProperty("type").GetString());
        Assert.False(pre.GetProperty("add_prefix_space").GetBoolean());
        Assert.False(pre.GetProperty("use_regex").GetBoolean());
        Assert.Equal("ByteLevel", root.GetProperty("decoder").GetProperty("type").GetString());
        var added = root.GetProperty("added_tokens").EnumerateArray().ToDictionary(t => t.GetProperty("content").GetString()!, t => t.GetProperty("id").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["<|bos|>"] = 256, ["<|eos|>"] = 257, ["<|pad|>"] = 258 }, added);
        using var cfg = JsonDocument.Parse(File.ReadAllText(dir.File("tokenizer_config.json")));
        Assert.Equal("<|bos|>", cfg.RootElement.GetProperty("bos_token").GetString());
        Assert.Equal("<|eos|>", cfg.RootElement.GetProperty("eos_token").GetString());
        Assert.False(cfg.RootElement.TryGetProperty("chat_template", out _));
    }

    [Fact]
    public void The_engine_tokenizer_encodes_a_prompt_as_the_trainer_packs_it_bos_first()
    {
        using var dir = new TempDir();
        TokenizerFiles.Write(dir.Path, 256);
        var t = DrLlm.Engine.Text.TokenizerLoader.Load(dir.Path);
        const string text = "Q: 16+5=? A: 21\n é";
        Assert.Equal([ByteTokenizer.Bos, .. System.Text.Encoding.UTF8.GetBytes(text).Select(b => (int)b)], t.Encode(text));
        Assert.Equal([ByteTokenizer.Eos], t.EosTokenIds);
        Assert.Equal(text, t.Decode(t.Encode(text), skipSpecialTokens: true));
    }

    [Fact]
    public void Corpus_is_a_pure_function_of_seed_and_index()
    {
        var c = new ArithmeticCorpus();
        Assert.Equal(c.Example(7, 123), c.Example(7, 123));
        var a = Enumerable.Range(0, 50).Select(i => c.Example(7, i)).ToList();
        var b = Enumerable.Range(0, 50).Select(i => c.Example(8, i)).ToList();
        Assert.NotEqual(a, b);
        Assert.All(a, e => Assert.EndsWith("=", e.Prompt));
    }

    [Fact]
    public void Task_corpus_entries_take_level_ranges_and_bad_entries_say_what_is_wrong()
    {
        var c = new TaskFamilyCorpus(["arith", "mcq:1-2"]);
        Assert.Equal("tasks:arith+mcq:1-2", c.Name);
        var mcq = DrLlm.Tasks.TaskRegistry.FindSynthetic("mcq")!;
        for (int i = 0; i < 40; i++)
        {
            var e = c.Example(5, 2 * i + 1);
            var item = mcq.Item("train", i, 5, 1, 2);
            Assert.InRange(item.Level!.Value, 1, 2);
            Assert.Equal(DrLlm.Tasks.Prompts.TaskPrompts.TrainingText(item), (e.Prompt, e.Completion));
        }
        Assert.Equal("tasks:arith+mcq", new TaskFamilyCorpus(["arith", "mcq:1-7"]).Name); // the whole range is the family
        Assert.Equal("tasks:mcq:3", new TaskFamilyCorpus(["mcq:3"]).Name);
        Assert.Contains("corpus: 'mcq:0-2': mcq: level range 0-2 is not within 1-7", Assert.Throws<ArgumentException>(() => new TaskFamilyCorpus(["mcq:0-2"])).Message);
        Assert.Contains("'mcq:a-b': expected FAMILY, FAMILY:LEVEL or FAMILY:MIN-MAX", Assert.Throws<ArgumentException>(() => new TaskFamilyCorpus(["mcq:a-b"])).Message);
        Assert.Contains("out-of-domain", Assert.Throws<ArgumentException>(() => new TaskFamilyCorpus(["ood-count:1"])).Message);
        Assert.Contains("'nope' is not a synthetic task family", Assert.Throws<ArgumentException>(() => new TaskFamilyCorpus(["nope"])).Message);
    }

    [Fact]
    public void Packer_keeps_examples_whole_with_bos_eos_and_masks_completions()
    {
        var corpus = new FixedCorpus(new("ab=", "c"), new("xyz=", "12")); // 6 and 8 tokens with bos/eos
        var packer = new SequencePacker(corpus, seed: 0, seqLen: 15, completionOnly: true);
        int[] inputs = new int[15], targets = new int[15];
        float[] mask = new float[15];
        packer.NextBatch(1, inputs, targets, mask);
        // Row of 16: [bos a b = c eos][bos x y z = 1 2 eos][pad pad]: the next example (6 tokens) does not fit.
        int[] row = [256, 'a', 'b', '=', 'c', 257, 256, 'x', 'y', 'z', '=', '1', '2', 257, 258, 258];
        Assert.Equal(row[..15], inputs);
        Assert.Equal(row[1..], targets);
        float[] expectedMask = [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0]; // targets c, eos, 1, 2, eos
        Assert.Equal(expectedMask, mask);
        Assert.Equal(2, packer.NextExample);

        var all = new SequencePacker(corpus, 0, 15, completionOnly: false);
        all.NextBatch(1, inputs, targets, mask);
        Assert.Equal(13, mask.Sum()); // every target but the two pads
    }

    private sealed class FixedCorpus(params TrainingExample[] examples) : ITrainingCorpus
    {
        public string Name => "fixed";
        public TrainingExample Example(int seed, long index) => examples[index % examples.Length];
    }
}
