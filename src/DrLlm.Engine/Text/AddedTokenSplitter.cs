using System.Buffers;

namespace DrLlm.Engine.Text;

/// <summary>
/// Cuts text at added tokens written in it ("&lt;|im_start|&gt;user…"), longest match first at the earliest position,
/// as Hugging Face tokenizers' AddedVocabulary (an Aho-Corasick leftmost-longest search) and llama.cpp's
/// tokenizer_st_partition do. The flags lstrip/rstrip/single_word of tokenizer.json added_tokens are not applied.
/// </summary>
public sealed class AddedTokenSplitter
{
    readonly Dictionary<char, (string Text, int Id)[]> byFirstChar;
    readonly SearchValues<char> firstChars;

    public AddedTokenSplitter(IEnumerable<(string Text, int Id)> tokens)
    {
        byFirstChar = tokens.Where(t => t.Text.Length > 0)
            .GroupBy(t => t.Text[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Text.Length).ToArray());
        firstChars = SearchValues.Create(byFirstChar.Keys.ToArray());
    }

    public bool IsEmpty => byFirstChar.Count == 0;

    /// <summary>Appends the pieces of <paramref name="text"/> in order: runs of plain text with Id -1, added tokens with their id.</summary>
    public void Split(string text, List<(int Start, int Length, int Id)> pieces)
    {
        int start = 0, pos = 0;
        while (pos < text.Length)
        {
            int hit = text.AsSpan(pos).IndexOfAny(firstChars);
            if (hit < 0) break;
            pos += hit;
            int id = -1, len = 0;
            foreach (var (t, i) in byFirstChar[text[pos]])
                if (string.CompareOrdinal(text, pos, t, 0, t.Length) == 0) { id = i; len = t.Length; break; }
            if (id < 0) { pos++; continue; }
            if (pos > start) pieces.Add((start, pos - start, -1));
            pieces.Add((pos, len, id));
            pos += len;
            start = pos;
        }
        if (start < text.Length) pieces.Add((start, text.Length - start, -1));
    }
}
