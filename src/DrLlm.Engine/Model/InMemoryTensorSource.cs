using DrLlm.Engine.Formats;

namespace DrLlm.Engine.Model;

/// <summary>
/// Tensors held in managed arrays under Hugging Face names: a model built in code (tests, a trainer handing its weights
/// to the engine) runs through exactly the same loading path as a checkpoint on disk.
/// </summary>
public sealed class InMemoryTensorSource : ITensorSource
{
    private readonly Dictionary<string, float[]> _data;
    private readonly Dictionary<string, TensorInfo> _infos;

    public InMemoryTensorSource(IReadOnlyDictionary<string, (long[] Shape, float[] Data)> tensors, string sourcePath = "<memory>")
    {
        SourcePath = sourcePath;
        _data = [];
        _infos = [];
        foreach (var (name, (shape, data)) in tensors)
        {
            var info = new TensorInfo(name, TensorDType.F32, shape);
            if (info.ElementCount != data.Length)
                throw new ModelFormatException($"{sourcePath}: tensor '{name}' has {data.Length} values; shape [{string.Join(", ", shape)}] needs {info.ElementCount}");
            _data[name] = data;
            _infos[name] = info;
        }
    }

    /// <summary>A checkpoint over weights held in memory (HF names), shaped as <see cref="CheckpointSchema"/> says.</summary>
    public static Checkpoint Checkpoint(ModelConfig config, IReadOnlyDictionary<string, float[]> weights, string sourcePath = "<memory>")
    {
        var shapes = CheckpointSchema.Expected(config).ToDictionary(e => e.Name, e => e.Shape);
        var tensors = new Dictionary<string, (long[], float[])>();
        foreach (var (name, data) in weights)
            tensors[name] = (shapes.TryGetValue(name, out var shape) ? shape
                : throw new ModelFormatException($"{sourcePath}: tensor '{name}' is not part of a {config.Architecture} model"), data);
        return new Checkpoint(config, new InMemoryTensorSource(tensors, sourcePath), "memory");
    }

    public string SourcePath { get; }
    public IReadOnlyDictionary<string, TensorInfo> Tensors => _infos;

    public void ReadF32(string name, Span<float> destination)
    {
        if (!_data.TryGetValue(name, out var d)) throw new ModelFormatException($"{SourcePath}: tensor '{name}' is missing");
        d.CopyTo(destination);
    }

    public unsafe void ReadStored(string name, byte* destination)
    {
        if (!_data.TryGetValue(name, out var d)) throw new ModelFormatException($"{SourcePath}: tensor '{name}' is missing");
        d.CopyTo(new Span<float>(destination, d.Length));
    }

    // Managed arrays can move; the engine copies them into native memory instead of pinning for the model's lifetime.
    public unsafe byte* TryMap(string name) => null;

    public void Release(string name) { }

    public void Dispose() { }
}
