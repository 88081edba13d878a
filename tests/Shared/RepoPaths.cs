namespace DrLlm.Tests.Shared;

/// <summary>The repository the tests run in (found by walking up from the test binaries to DrLlm.Cluster.sln) and the
/// shipped demo model inside it. Linked into each test project.</summary>
public static class RepoPaths
{
    public static string Root { get; } = Find();

    /// <summary>models/drllm-demo, the demo base model the project trained itself.</summary>
    public static string DemoModel => Path.Combine(Root, "models", "drllm-demo");

    private static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "DrLlm.Cluster.sln"))) return d.FullName;
        throw new InvalidOperationException($"no DrLlm.Cluster.sln above {AppContext.BaseDirectory}: the tests must run inside the repository");
    }
}
