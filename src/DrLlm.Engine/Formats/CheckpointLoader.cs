using DrLlm.Engine.Model;

namespace DrLlm.Engine.Formats;

/// <summary>Opens whatever a user points at: a Hugging Face directory or a GGUF file.</summary>
public static class CheckpointLoader
{
    public static Checkpoint Open(string path)
    {
        if (Directory.Exists(path)) return HfCheckpoint.Open(path);
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: no such file or directory (expected a GGUF file or a Hugging Face checkpoint directory)");
        var magic = new byte[4];
        int read;
        try
        {
            using var fs = File.OpenRead(path);
            read = fs.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException($"{path}: cannot read file ({e.Message})", e);
        }
        if (read == 4 && magic.AsSpan().SequenceEqual("GGUF"u8)) return GgufCheckpoint.Open(path);
        string hint = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || Path.GetFileName(path) == HfCheckpoint.ConfigFile
            ? $"; for a Hugging Face checkpoint pass its directory ({Path.GetDirectoryName(Path.GetFullPath(path))})" : "";
        throw new ModelFormatException($"{path}: not a GGUF file (first bytes are not \"GGUF\") and not a directory{hint}");
    }
}
