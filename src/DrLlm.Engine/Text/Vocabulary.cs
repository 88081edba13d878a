namespace DrLlm.Engine.Text;

/// <summary>
/// Token texts by id and ids by text, plus which ids are added tokens (decoded verbatim, matched whole in input) and
/// which of those are special (dropped by skipSpecialTokens). Ids without a text (holes) have text "".
/// </summary>
public sealed class Vocabulary
{
    public string[] Tokens { get; }
    public bool[] IsAdded { get; }
    public bool[] IsSpecial { get; }
    readonly Dictionary<string, int> ids;
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup;

    public Vocabulary(string[] tokens, bool[] isAdded, bool[] isSpecial)
    {
        Tokens = tokens; IsAdded = isAdded; IsSpecial = isSpecial;
        ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        // The first id of a duplicated text wins, as llama.cpp's token_to_id map keeps the first insert.
        for (int i = 0; i < tokens.Length; i++)
            if (tokens[i].Length > 0) ids.TryAdd(tokens[i], i);
        lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => Tokens.Length;

    public int? this[string token] => ids.TryGetValue(token, out int id) ? id : null;

    public bool TryGetId(ReadOnlySpan<char> token, out int id) => lookup.TryGetValue(token, out id);

    /// <summary>The added tokens to match in input, as (text, id).</summary>
    public IEnumerable<(string Text, int Id)> AddedTokens()
    {
        for (int i = 0; i < Tokens.Length; i++)
            if (IsAdded[i] && Tokens[i].Length > 0) yield return (Tokens[i], i);
    }
}
