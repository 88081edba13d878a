using DrLlm.Engine.Tests.Formats;

namespace DrLlm.Engine.Tests.Reference;

/// <summary>The llama.cpp shim builds from a clean cache, loads, and reports failures as messages rather than crashes.</summary>
public class LlamaCppShimTests
{
    /// <summary>A cache folder with no build in it, sharing the (already fetched) npm packages of the real cache.</summary>
    static TempDir CleanCache()
    {
        LlamaCppReference.Ensure(); // the real cache has the packages
        var dir = new TempDir();
        Directory.CreateSymbolicLink(dir.File("npm"), Path.Combine(ReferenceCache.CacheDir, "npm"));
        return dir;
    }

    [Fact]
    public void Builds_the_shim_and_the_bench_into_a_clean_cache_once()
    {
        using var cache = CleanCache();
        var folder = LlamaCppReference.Build(cache.Path);
        Assert.StartsWith(Path.Combine(cache.Path, "llamaref"), folder);
        Assert.True(File.Exists(Path.Combine(folder, "libllamaref.so")));
        Assert.True(File.Exists(Path.Combine(folder, "llamaref-bench")));

        var built = File.GetLastWriteTimeUtc(Path.Combine(folder, "libllamaref.so"));
        Assert.Equal(folder, LlamaCppReference.Build(cache.Path));
        Assert.Equal(built, File.GetLastWriteTimeUtc(Path.Combine(folder, "libllamaref.so")));
        Assert.True(Directory.Exists(Path.Combine(ReferenceCache.CacheDir, "npm")), "the shared npm folder survives");
    }

    [Fact]
    public void A_failing_compiler_is_reported_with_its_output()
    {
        using var cache = CleanCache();
        var e = Assert.Throws<InvalidOperationException>(
            () => LlamaCppReference.Build(cache.Path, new Dictionary<string, string> { ["CC"] = "/nonexistent/cc" }));
        Assert.Contains("/nonexistent/cc", e.Message);
        Assert.Contains("exit code", e.Message);
        Assert.Empty(Directory.GetDirectories(Path.Combine(cache.Path, "llamaref"), "*", SearchOption.TopDirectoryOnly));
    }

    [Fact]
    public void A_missing_file_is_named_in_the_error()
    {
        using var dir = new TempDir();
        var path = dir.File("absent.gguf");
        var e = Assert.Throws<InvalidOperationException>(() => LlamaCppReference.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("No such file", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_gguf_is_rejected_with_llama_cpps_reason()
    {
        using var dir = new TempDir();
        var path = dir.File("garbage.gguf");
        File.WriteAllBytes(path, new byte[4096]);
        var e = Assert.Throws<InvalidOperationException>(() => LlamaCppReference.Load(path));
        Assert.Contains("invalid magic", e.Message);
    }
}
