using System.Text;

namespace DrLlm.Pretrain.Data;

/// <summary>
/// The project's tokenizer: ids 0-255 are the UTF-8 bytes, then three specials, and the vocabulary padded to a multiple
/// of 8 (the padding ids never occur). Byte-level like GPT-2, but with no merges: every text is its bytes, so nothing
/// needs training and any string round-trips. Written out as a standard Hugging Face tokenizer.json by
/// <see cref="TokenizerFiles"/>, whose ByteLevel BPE encodes text to exactly these ids.
/// </summary>
public static class ByteTokenizer
{
    public const int Bos = 256, Eos = 257, Pad = 258;
    public const string BosText = "<|bos|>", EosText = "<|eos|>", PadText = "<|pad|>";
    /// <summary>259 ids used, padded to 264 (a multiple of 8 keeps the LM head's rows SIMD-friendly).</summary>
    public const int VocabSize = 264;

    public static IReadOnlyList<(int Id, string Text)> Specials { get; } = [(Bos, BosText), (Eos, EosText), (Pad, PadText)];

    public static int[] Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var ids = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) ids[i] = bytes[i];
        return ids;
    }

    /// <summary>Bytes back to text; specials appear as their text, unused ids are dropped.</summary>
    public static string Decode(IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        var pending = new List<byte>();
        void Flush() { sb.Append(Encoding.UTF8.GetString(pending.ToArray())); pending.Clear(); }
        foreach (int id in ids)
        {
            if (id is >= 0 and < 256) { pending.Add((byte)id); continue; }
            Flush();
            foreach (var (sid, text) in Specials) if (sid == id) sb.Append(text);
        }
        Flush();
        return sb.ToString();
    }

    /// <summary>
    /// GPT-2's bytes_to_unicode (openai/gpt-2 encoder.py, also tokenizers' ByteLevel pre-tokenizer): printable bytes map
    /// to themselves, the other 68 to U+0100.. in byte order, so every byte is a visible character. Entry b is byte b's.
    /// </summary>
    public static IReadOnlyList<char> ByteToUnicode { get; } = BuildByteToUnicode();

    private static char[] BuildByteToUnicode()
    {
        var map = new char[256];
        bool Printable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
        int next = 0;
        for (int b = 0; b < 256; b++) map[b] = Printable(b) ? (char)b : (char)(256 + next++);
        return map;
    }
}
