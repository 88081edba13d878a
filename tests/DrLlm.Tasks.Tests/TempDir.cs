namespace DrLlm.Tasks.Tests;

/// <summary>A fresh directory for fixture files the tests write; deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("drllm-tasks-").FullName;

    public string Write(string name, string content)
    {
        var f = System.IO.Path.Combine(Path, name);
        File.WriteAllText(f, content);
        return f;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
