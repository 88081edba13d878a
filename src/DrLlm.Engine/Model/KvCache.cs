using DrLlm.Engine.Kernels;

namespace DrLlm.Engine.Model;

/// <summary>
/// Keys and values per path *step*, [positions, kvDim] each: a repeated block runs twice and owns two entries
/// (METHOD.md; the reference implementation writes both runs into one slot, a bug). Buffers grow, never shrink.
/// </summary>
internal sealed class KvCache(int maxSteps, int kvDim) : IDisposable
{
    private readonly NativeBuffer?[] _k = new NativeBuffer?[maxSteps], _v = new NativeBuffer?[maxSteps];

    public (NativeBuffer K, NativeBuffer V) Ensure(int step, int positions)
    {
        var k = _k[step] ??= new NativeBuffer();
        var v = _v[step] ??= new NativeBuffer();
        k.Ensure((long)positions * kvDim);
        v.Ensure((long)positions * kvDim);
        return (k, v);
    }

    /// <summary>Copies step <paramref name="step"/>'s keys and values at positions 0..positions-1 from another cache.</summary>
    public unsafe void CopyFrom(KvCache other, int step, int positions)
    {
        if (positions == 0) return;
        var (k, v) = Ensure(step, positions);
        long bytes = (long)positions * kvDim * sizeof(float);
        Buffer.MemoryCopy(other._k[step]!.Ptr, k.Ptr, bytes, bytes);
        Buffer.MemoryCopy(other._v[step]!.Ptr, v.Ptr, bytes, bytes);
    }

    public void Dispose()
    {
        foreach (var b in _k) b?.Dispose();
        foreach (var b in _v) b?.Dispose();
    }
}
