using DrLlm.Engine.Model;
using DrLlm.Pretrain.Data;
using DrLlm.Pretrain.Export;
using DrLlm.Pretrain.Training;

namespace DrLlm.Pretrain.Tests;

public class ExportTests
{
    /// <summary>
    /// The exported directory loads like any checkpoint, carries the tokenizer and bos/eos ids, and gives the trainer's
    /// logits; the GGUF export gives the same logits.
    /// </summary>
    [Fact]
    public void Exported_model_loads_in_the_engine_with_the_trainers_logits()
    {
        using var dir = new TempDir();
        using var t = new Pretrainer(TrainingTests.TinyOptions with { Batch = 1 }, new ArithmeticCorpus());
        for (int i = 0; i < 3; i++) t.TrainStep();
        t.Export(dir.Path);
        string gguf = dir.File("model.gguf");
        ModelExport.WriteGguf(gguf, t.Model);
        foreach (var f in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" })
            Assert.True(File.Exists(dir.File(f)), f);

        var prompt = SequencePacker.Encode(new TrainingExample("12+7=", "19")).Ids;
        var inputs = new int[t.Options.SeqLen];
        Array.Fill(inputs, ByteTokenizer.Pad);
        prompt.CopyTo(inputs, 0);
        t.Model.Forward(inputs);
        var expected = t.Model.Logits.Slice((prompt.Length - 1) * t.Model.Config.VocabSize, t.Model.Config.VocabSize).ToArray();

        foreach (var path in new[] { dir.Path, gguf })
        {
            using var decoder = Decoder.Load(path, threads: 2);
            Assert.Equal(ByteTokenizer.Bos, decoder.Config.BosTokenId);
            Assert.Equal([ByteTokenizer.Eos], decoder.Config.EosTokenIds);
            using var session = decoder.CreateSession();
            var logits = session.Prefill(prompt, LayerPath.Default(decoder.Config.NumLayers)).ToArray();
            double diff = logits.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(diff <= 1e-4 * expected.Max(Math.Abs), $"{path}: max |Δlogit| {diff:G3}");
        }
    }
}
