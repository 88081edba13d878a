using DrLlm.Engine.Formats;
using DrLlm.Pretrain.Data;
using DrLlm.Pretrain.Model;

namespace DrLlm.Pretrain.Export;

/// <summary>
/// The trained model as files every loader here reads: a Hugging Face directory (config.json with bos/eos ids,
/// model.safetensors in f32, tokenizer.json, tokenizer_config.json, special_tokens_map.json) that
/// <c>Decoder.Load(dir)</c> and transformers open, and optionally a GGUF file with the byte vocabulary.
/// </summary>
public static class ModelExport
{
    public static void WriteHuggingFace(string dir, Transformer model, int modelMaxLength)
    {
        HfCheckpointWriter.Write(dir, model.Config, model.ExportTensors(), TensorDType.F32);
        TokenizerFiles.Write(dir, modelMaxLength);
    }

    /// <summary>
    /// GGUF with a "gpt2" (byte-level BPE) vocabulary: the 256 byte characters as normal tokens (id = byte), the
    /// specials as control tokens, padding ids as unused, no merges.
    /// </summary>
    public static void WriteGguf(string path, Transformer model, TensorDType dtype = TensorDType.F32)
    {
        int size = model.Config.VocabSize;
        var tokens = new string[size];
        var types = new int[size];
        for (int i = 0; i < size; i++) { tokens[i] = $"<|unused_{i}|>"; types[i] = GgufVocab.Unused; }
        for (int b = 0; b < 256; b++) { tokens[b] = ByteTokenizer.ByteToUnicode[b].ToString(); types[b] = GgufVocab.Normal; }
        foreach (var (id, text) in ByteTokenizer.Specials) { tokens[id] = text; types[id] = GgufVocab.Control; }
        var vocab = new GgufVocab("gpt2", tokens, new float[size], types, ByteTokenizer.Bos, ByteTokenizer.Eos)
        {
            Merges = [],
            Pre = "default",
        };
        GgufCheckpointWriter.Write(path, model.Config, model.ExportTensors(), dtype, vocab);
    }
}
