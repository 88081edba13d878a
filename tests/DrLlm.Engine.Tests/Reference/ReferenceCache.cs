namespace DrLlm.Engine.Tests.Reference;

/// <summary>
/// Where the reference material lives: the repository root (found by walking up from the test binaries to
/// DrLlm.Cluster.sln) and the cache folder deploy/fetch-references.sh fills ($DRLLM_CACHE, else &lt;repo&gt;/.cache).
/// </summary>
public static class ReferenceCache
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string CacheDir
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("DRLLM_CACHE");
            return Path.GetFullPath(string.IsNullOrEmpty(fromEnv) ? Path.Combine(RepoRoot, ".cache") : fromEnv);
        }
    }

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DrLlm.Cluster.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"No DrLlm.Cluster.sln above {AppContext.BaseDirectory}: the tests must run inside the repository");
    }
}
