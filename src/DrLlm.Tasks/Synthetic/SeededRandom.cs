using System.Text;

namespace DrLlm.Tasks.Synthetic;

/// <summary>
/// A small deterministic generator (SplitMix64, Steele et al. 2014) so synthetic items are the same on every machine
/// and .NET version; <see cref="System.Random"/>'s seeded sequence is not promised to stay fixed.
/// </summary>
public sealed class SeededRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [min, max] (both inclusive).</summary>
    public int Int(int min, int max) => min + (int)(NextUInt64() % (ulong)(max - min + 1));

    public bool Coin() => (NextUInt64() & 1) == 1;

    public T Pick<T>(IReadOnlyList<T> items) => items[Int(0, items.Count - 1)];

    /// <summary>Fisher-Yates shuffle of a copy.</summary>
    public List<T> Shuffled<T>(IEnumerable<T> items)
    {
        var list = items.ToList();
        for (int i = list.Count - 1; i > 0; i--) { int j = Int(0, i); (list[i], list[j]) = (list[j], list[i]); }
        return list;
    }

    /// <summary>A stable 64-bit hash of strings (FNV-1a over UTF-8, then a SplitMix64 finaliser to spread the bits).</summary>
    public static ulong Hash(params string[] parts)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (var p in parts)
        {
            foreach (var b in Encoding.UTF8.GetBytes(p)) { h ^= b; h *= 0x100000001B3UL; }
            h ^= 0x1F; h *= 0x100000001B3UL; // separator, so ("ab","c") and ("a","bc") differ
        }
        return new SeededRandom(h).NextUInt64();
    }
}
