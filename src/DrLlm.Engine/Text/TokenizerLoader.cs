using DrLlm.Engine.Model;

namespace DrLlm.Engine.Text;

/// <summary>Opens a tokenizer from a tokenizer.json file, a Hugging Face model directory or a GGUF file.</summary>
public static class TokenizerLoader
{
    public static Tokenizer Load(string path)
    {
        if (Directory.Exists(path))
        {
            var json = Path.Combine(path, "tokenizer.json");
            if (File.Exists(json)) return HfTokenizerFiles.Load(json);
            var ggufs = Directory.GetFiles(path, "*.gguf");
            if (ggufs.Length == 1) return GgufTokenizer.Load(ggufs[0]);
            throw new ModelFormatException($"{path}: no tokenizer.json in this directory (tokenizer.model files are not supported)");
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or directory", path);
        if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || StartsWithGgufMagic(path)) return GgufTokenizer.Load(path);
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return HfTokenizerFiles.Load(path);
        throw new ModelFormatException($"{path}: not a tokenizer.json, a GGUF file or a model directory");
    }

    /// <summary>The chat template of the model at <paramref name="path"/>, or null when it has none (a base model).</summary>
    public static ChatTemplate? LoadChatTemplate(string path) => ChatTemplate.Find(path);

    static bool StartsWithGgufMagic(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return f.Read(magic) == 4 && magic.SequenceEqual("GGUF"u8);
    }
}
