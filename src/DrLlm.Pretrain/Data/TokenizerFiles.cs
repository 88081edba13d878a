using System.Text.Json;

namespace DrLlm.Pretrain.Data;

/// <summary>
/// Writes <see cref="ByteTokenizer"/> as Hugging Face files: tokenizer.json (tokenizers' serialisation: a "BPE" model
/// whose vocabulary is the 256 byte characters of GPT-2's bytes_to_unicode with id = byte value and no merges, a
/// ByteLevel pre-tokenizer without prefix space or regex split, a ByteLevel decoder, the specials as added tokens) and
/// tokenizer_config.json / special_tokens_map.json. A standard byte-level BPE loader then maps text to the trainer's ids.
/// Every training example starts with &lt;|bos|&gt; (<see cref="SequencePacker"/>), so encoding adds it too: a
/// TemplateProcessing post-processor ("&lt;|bos|&gt; $A", what HF's tokenizers apply) and add_bos_token in the config.
/// </summary>
public static class TokenizerFiles
{
    public const string TokenizerJson = "tokenizer.json", TokenizerConfigJson = "tokenizer_config.json", SpecialTokensMapJson = "special_tokens_map.json";

    public static void Write(string dir, int modelMaxLength)
    {
        Directory.CreateDirectory(dir);
        var indented = new JsonWriterOptions { Indented = true };
        using (var stream = File.Create(Path.Combine(dir, TokenizerJson)))
        using (var w = new Utf8JsonWriter(stream, indented))
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            w.WriteStartArray("added_tokens");
            foreach (var (id, text) in ByteTokenizer.Specials)
            {
                w.WriteStartObject();
                w.WriteNumber("id", id);
                w.WriteString("content", text);
                w.WriteBoolean("single_word", false);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("special", true);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNull("normalizer");
            w.WriteStartObject("pre_tokenizer");
            w.WriteString("type", "ByteLevel");
            w.WriteBoolean("add_prefix_space", false);
            w.WriteBoolean("trim_offsets", true);
            w.WriteBoolean("use_regex", false);
            w.WriteEndObject();
            w.WriteStartObject("post_processor");
            w.WriteString("type", "TemplateProcessing");
            void Piece(string kind, string id)
            {
                w.WriteStartObject();
                w.WriteStartObject(kind);
                w.WriteString("id", id);
                w.WriteNumber("type_id", 0);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteStartArray("single");
            Piece("SpecialToken", ByteTokenizer.BosText);
            Piece("Sequence", "A");
            w.WriteEndArray();
            w.WriteStartArray("pair");
            Piece("SpecialToken", ByteTokenizer.BosText);
            Piece("Sequence", "A");
            Piece("Sequence", "B");
            w.WriteEndArray();
            w.WriteStartObject("special_tokens");
            w.WriteStartObject(ByteTokenizer.BosText);
            w.WriteString("id", ByteTokenizer.BosText);
            w.WriteStartArray("ids");
            w.WriteNumberValue(ByteTokenizer.Bos);
            w.WriteEndArray();
            w.WriteStartArray("tokens");
            w.WriteStringValue(ByteTokenizer.BosText);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("decoder");
            w.WriteString("type", "ByteLevel");
            w.WriteBoolean("add_prefix_space", false);
            w.WriteBoolean("trim_offsets", true);
            w.WriteBoolean("use_regex", false);
            w.WriteEndObject();
            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteNull("dropout");
            w.WriteNull("unk_token");
            w.WriteNull("continuing_subword_prefix");
            w.WriteNull("end_of_word_suffix");
            w.WriteBoolean("fuse_unk", false);
            w.WriteBoolean("byte_fallback", false);
            w.WriteBoolean("ignore_merges", false);
            w.WriteStartObject("vocab");
            for (int b = 0; b < 256; b++) w.WriteNumber(ByteTokenizer.ByteToUnicode[b].ToString(), b);
            w.WriteEndObject();
            w.WriteStartArray("merges");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        using (var stream = File.Create(Path.Combine(dir, TokenizerConfigJson)))
        using (var w = new Utf8JsonWriter(stream, indented))
        {
            w.WriteStartObject();
            w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
            w.WriteString("bos_token", ByteTokenizer.BosText);
            w.WriteString("eos_token", ByteTokenizer.EosText);
            w.WriteString("pad_token", ByteTokenizer.PadText);
            w.WriteBoolean("add_bos_token", true);
            w.WriteBoolean("add_eos_token", false);
            w.WriteBoolean("clean_up_tokenization_spaces", false);
            w.WriteNumber("model_max_length", modelMaxLength);
            w.WriteStartObject("added_tokens_decoder");
            foreach (var (id, text) in ByteTokenizer.Specials)
            {
                w.WriteStartObject(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.WriteString("content", text);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("single_word", false);
                w.WriteBoolean("special", true);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        using (var stream = File.Create(Path.Combine(dir, SpecialTokensMapJson)))
        using (var w = new Utf8JsonWriter(stream, indented))
        {
            w.WriteStartObject();
            w.WriteString("bos_token", ByteTokenizer.BosText);
            w.WriteString("eos_token", ByteTokenizer.EosText);
            w.WriteString("pad_token", ByteTokenizer.PadText);
            w.WriteEndObject();
        }
    }
}
