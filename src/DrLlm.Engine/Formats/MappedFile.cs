using System.IO.MemoryMappedFiles;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Formats;

/// <summary>
/// A whole file mapped read-only into memory. Checkpoint readers hand out pointers into it (see
/// <see cref="ITensorSource.TryMap"/>), so weights are paged in by the OS instead of copied.
/// </summary>
internal sealed unsafe partial class MappedFile : IDisposable
{
    private const int MadvDontneed = 4;

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(void* addr, nuint length, int advice);

    readonly MemoryMappedFile _map;
    readonly MemoryMappedViewAccessor _view;
    byte* _base;

    public string Path { get; }
    public long Length { get; }
    public byte* Base => _base != null ? _base : throw new ObjectDisposedException(Path);

    MappedFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePtr)
    {
        Path = path; Length = length; _map = map; _view = view; _base = basePtr;
    }

    /// <summary>Maps <paramref name="path"/>; an empty file cannot be mapped and is reported as truncated.</summary>
    public static MappedFile Open(string path, long minLength)
    {
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: file not found");
        long length;
        try { length = new FileInfo(path).Length; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new ModelFormatException($"{path}: cannot read file ({e.Message})", e); }
        if (length < minLength)
            throw new ModelFormatException($"{path}: file is {length} bytes, too short for its header (at least {minLength} expected)");
        MemoryMappedFile? map = null;
        try
        {
            map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            return new MappedFile(path, length, map, view, p + view.PointerOffset);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            map?.Dispose();
            throw new ModelFormatException($"{path}: cannot memory-map file ({e.Message})", e);
        }
    }

    /// <summary>
    /// Unmaps this process's pages of bytes offset..offset+length (whole pages inside the range only; Linux
    /// <c>madvise(MADV_DONTNEED)</c>: a read-only file mapping refaults them from the page cache if touched again).
    /// </summary>
    public void Release(long offset, long length)
    {
        if (!OperatingSystem.IsLinux() || _base == null) return;
        long page = Environment.SystemPageSize;
        long start = ((long)_base + offset + page - 1) / page * page, end = ((long)_base + offset + length) / page * page;
        if (end > start) _ = madvise((void*)start, (nuint)(end - start), MadvDontneed);
    }

    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
