using System.Runtime.InteropServices;

namespace DrLlm.Engine.Kernels;

/// <summary>
/// A 64-byte-aligned native float buffer that grows (keeping its contents) but never shrinks, so steady-state
/// decoding allocates nothing. Native memory keeps multi-GB buffers off the GC heap and gives BLAS stable pointers.
/// </summary>
public sealed unsafe class NativeBuffer : IDisposable
{
    public float* Ptr { get; private set; }
    public long Capacity { get; private set; }

    public NativeBuffer(long floats = 0) => Ensure(floats);

    /// <summary>Makes room for at least <paramref name="floats"/> values; existing contents are kept.</summary>
    public void Ensure(long floats)
    {
        if (floats <= Capacity) return;
        long cap = Math.Max(floats, Capacity + Capacity / 2);
        var p = (float*)NativeMemory.AlignedAlloc((nuint)(cap * sizeof(float)), 64);
        if (Ptr != null)
        {
            Buffer.MemoryCopy(Ptr, p, cap * sizeof(float), Capacity * sizeof(float));
            NativeMemory.AlignedFree(Ptr);
        }
        Ptr = p;
        Capacity = cap;
    }

    public Span<float> Span(long offset, int length)
    {
        if (offset < 0 || offset + length > Capacity) throw new ArgumentOutOfRangeException(nameof(offset));
        return new Span<float>(Ptr + offset, length);
    }

    public void Dispose()
    {
        if (Ptr != null) NativeMemory.AlignedFree(Ptr);
        Ptr = null;
        Capacity = 0;
    }
}
