using DrLlm.Engine.Model;

namespace DrLlm.Engine.Formats;

/// <summary>Element types the loaders understand. Q8_0 is llama.cpp's block format (32 int8 + one f16 scale).</summary>
public enum TensorDType { F32, F16, BF16, Q8_0 }

/// <summary>One tensor of a checkpoint. <see cref="Shape"/> is row-major, outermost first (PyTorch order),
/// whatever the file's own convention (GGUF lists dimensions innermost first).</summary>
public sealed record TensorInfo(string Name, TensorDType DType, long[] Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// The tensors of a checkpoint under Hugging Face names (<c>model.layers.3.self_attn.q_proj.weight</c>),
/// in Hugging Face layout, readable as f32. Implementations own open files and mappings.
/// </summary>
public interface ITensorSource : IDisposable
{
    /// <summary>Where the tensors come from, for error messages (a file or directory path).</summary>
    string SourcePath { get; }
    IReadOnlyDictionary<string, TensorInfo> Tensors { get; }

    /// <summary>Converts the whole tensor to f32 into <paramref name="destination"/> (length = element count).</summary>
    void ReadF32(string name, Span<float> destination);

    /// <summary>
    /// When the tensor is stored as little-endian f32, 4-byte aligned, in a memory-mapped file and needs no layout
    /// change, a pointer into that mapping (valid until disposal); otherwise null and the caller uses <see cref="ReadF32"/>.
    /// </summary>
    unsafe float* TryMapF32(string name);
}

/// <summary>A checkpoint opened from disk: its config plus its tensors.</summary>
public sealed record Checkpoint(ModelConfig Config, ITensorSource Tensors, string Format) : IDisposable
{
    public void Dispose() => Tensors.Dispose();
}
