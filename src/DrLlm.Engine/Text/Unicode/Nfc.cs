using System.Globalization;
using System.Text;

namespace DrLlm.Engine.Text.Unicode;

/// <summary>
/// Unicode Normalization Form C (UAX #15: canonical decomposition, canonical ordering, canonical composition), for the
/// tokenizer.json "NFC" normalizer. The build runs with InvariantGlobalization, where string.Normalize() returns its
/// input unchanged, so this uses tables generated from Unicode data (NfcData.cs) and the Hangul arithmetic of
/// Unicode §3.12.
/// </summary>
public static class Nfc
{
    const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, LCount = 19, VCount = 21, TCount = 28;
    const int NCount = VCount * TCount, SCount = LCount * NCount;

    static readonly Lazy<Dictionary<int, int>> Ccc = new(() => Parse(NfcData.CombiningClasses).ToDictionary(
        e => Hex(e.Key), e => int.Parse(e.Value, CultureInfo.InvariantCulture)));
    static readonly Lazy<Dictionary<int, int[]>> Decomp = new(() => Parse(NfcData.Decompositions).ToDictionary(
        e => Hex(e.Key), e => e.Value.Split(' ').Select(Hex).ToArray()));
    static readonly Lazy<Dictionary<long, int>> Compose = new(() => Parse(NfcData.Compositions).ToDictionary(
        e => { var p = e.Key.Split(' '); return ((long)Hex(p[0]) << 21) | (uint)Hex(p[1]); }, e => Hex(e.Value)));

    static IEnumerable<KeyValuePair<string, string>> Parse(string table) =>
        table.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(e =>
        {
            int colon = e.IndexOf(':');
            return new KeyValuePair<string, string>(e[..colon], e[(colon + 1)..]);
        });

    static int Hex(string s) => int.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>
    /// BMP characters that NFC may change or combine with: non-zero combining class, a canonical decomposition, the
    /// second half of a composition, Hangul syllables and jamo. Text without any of them (or surrogates) is already NFC.
    /// </summary>
    static readonly Lazy<System.Collections.BitArray> MayChange = new(() =>
    {
        var bits = new System.Collections.BitArray(65536);
        foreach (int cp in Ccc.Value.Keys.Concat(Decomp.Value.Keys).Concat(Compose.Value.Keys.Select(k => (int)(k & 0x1FFFFF))))
            if (cp < 65536) bits[cp] = true;
        for (int cp = LBase; cp < 0x1200; cp++) bits[cp] = true;
        for (int cp = SBase; cp < SBase + SCount; cp++) bits[cp] = true;
        for (int cp = 0xD800; cp < 0xE000; cp++) bits[cp] = true;
        return bits;
    });

    static bool SurelyNfc(string text)
    {
        var bits = MayChange.Value;
        foreach (char c in text) if (c >= 0x300 && bits[c]) return false;
        return true;
    }

    static int CombiningClass(int cp) => cp < 0x300 ? 0 : Ccc.Value.GetValueOrDefault(cp);

    /// <summary>The NFC form of <paramref name="text"/>; text below U+0300 is returned as is (it is always NFC).</summary>
    public static string Normalize(string text)
    {
        if (text.AsSpan().IndexOfAnyExceptInRange('\0', '\u02FF') < 0 || SurelyNfc(text)) return text;
        var cps = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes()) Decompose(rune.Value, cps);
        // Canonical ordering: a stable sort of each run of non-starters by combining class.
        for (int i = 1; i < cps.Count; i++)
        {
            int c = CombiningClass(cps[i]);
            if (c == 0) continue;
            for (int j = i; j > 0 && CombiningClass(cps[j - 1]) > c; j--) (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
        }
        ComposeInPlace(cps);
        var sb = new StringBuilder(text.Length);
        foreach (int cp in cps) sb.Append(char.ConvertFromUtf32(cp));
        return sb.ToString();
    }

    static void Decompose(int cp, List<int> output)
    {
        if (cp >= SBase && cp < SBase + SCount)
        {
            int s = cp - SBase;
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0) output.Add(TBase + s % TCount);
        }
        else if (cp >= 0x300 && Decomp.Value.TryGetValue(cp, out var d)) output.AddRange(d);
        else output.Add(cp);
    }

    static void ComposeInPlace(List<int> cps)
    {
        // lastClass: combining class of the last character kept after the starter, -1 when there is none. Ordering made
        // the classes ascend, so that character decides whether a later one is blocked (UAX #15 §D115).
        int starter = -1, lastClass = -1, write = 0;
        for (int i = 0; i < cps.Count; i++)
        {
            int cp = cps[i], cc = CombiningClass(cp);
            bool reachable = starter >= 0 && (lastClass == -1 || (lastClass != 0 && lastClass < cc));
            if (reachable && TryCompose(cps[starter], cp, out int composed))
            {
                cps[starter] = composed;
                continue;
            }
            if (cc == 0) { starter = write; lastClass = -1; }
            else lastClass = cc;
            cps[write++] = cp;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    static bool TryCompose(int a, int b, out int composed)
    {
        if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount)
        {
            composed = SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
            return true;
        }
        if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount)
        {
            composed = a + (b - TBase);
            return true;
        }
        return Compose.Value.TryGetValue(((long)a << 21) | (uint)b, out composed);
    }
}
