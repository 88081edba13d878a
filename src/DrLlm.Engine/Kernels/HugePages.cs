using System.Runtime.InteropServices;

namespace DrLlm.Engine.Kernels;

/// <summary>
/// Large native allocations aligned to 2 MiB and advised as transparent huge pages (Linux <c>madvise(MADV_HUGEPAGE)</c>;
/// Debian's default THP mode is "madvise", so without the advice they get 4 KiB pages). Decoding streams every weight
/// once per token; with huge pages the TLB stops being the bottleneck (README, "Speed").
/// </summary>
public static unsafe partial class HugePages
{
    private const nuint Align = 2 << 20;
    private const int MadvHugepage = 14;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(void* addr, nuint length, int advice);

    public static void* Alloc(long bytes)
    {
        if (bytes < (long)Align) return NativeMemory.AlignedAlloc((nuint)bytes, 64);
        nuint size = ((nuint)bytes + Align - 1) & ~(Align - 1);
        var p = NativeMemory.AlignedAlloc(size, Align);
        if (OperatingSystem.IsLinux()) _ = madvise(p, size, MadvHugepage); // advice only: failure just means small pages
        return p;
    }

    public static void Free(void* p) => NativeMemory.AlignedFree(p);
}
