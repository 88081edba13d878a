namespace DrLlm.Engine.Tests.Reference;

/// <summary>
/// Where the reference material lives: the repository root (found by walking up from the test binaries to
/// DrLlm.Cluster.sln) and the cache folder deploy/fetch-references.sh fills ($DRLLM_CACHE, else &lt;repo&gt;/.cache).
/// </summary>
public static class ReferenceCache
{
    public static string RepoRoot => DrLlm.Tests.Shared.RepoPaths.Root;

    public static string CacheDir
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("DRLLM_CACHE");
            return Path.GetFullPath(string.IsNullOrEmpty(fromEnv) ? Path.Combine(RepoRoot, ".cache") : fromEnv);
        }
    }
}
