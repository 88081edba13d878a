namespace DrLlm.Engine.Tests.Reference;

/// <summary>A fresh folder under the system temp folder, deleted with everything in it on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("drllm-test-").FullName;

    /// <summary>A path inside this folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    // Directory.Delete removes symbolic links without following them.
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
