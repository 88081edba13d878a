namespace DrLlm.Routing.Search;

/// <summary>
/// A tiny deterministic RNG (xoshiro256**, seeded by SplitMix64) whose whole state is four words, so a search can be
/// serialised mid-run and resumed to the same result. System.Random's state cannot be saved.
/// </summary>
public sealed class SplitMix
{
    private ulong _s0, _s1, _s2, _s3;

    public SplitMix(ulong seed)
    {
        ulong x = seed;
        _s0 = Next(ref x); _s1 = Next(ref x); _s2 = Next(ref x); _s3 = Next(ref x);
        static ulong Next(ref ulong z)
        {
            ulong r = z += 0x9E3779B97F4A7C15UL;
            r = (r ^ (r >> 30)) * 0xBF58476D1CE4E5B9UL;
            r = (r ^ (r >> 27)) * 0x94D049BB133111EBUL;
            return r ^ (r >> 31);
        }
    }

    public SplitMix(ulong[] state)
    {
        if (state.Length != 4) throw new ArgumentException($"RNG state needs 4 words, got {state.Length}");
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
    }

    public ulong[] State => [_s0, _s1, _s2, _s3];

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9, t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t; _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n).</summary>
    public int Next(int n) => (int)(NextDouble() * n);
}
