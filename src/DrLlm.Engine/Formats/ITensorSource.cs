using DrLlm.Engine.Model;

namespace DrLlm.Engine.Formats;

/// <summary>
/// Element types the loaders understand: floats, and llama.cpp's block formats (ggml-common.h): Q8_0 (32 int8 + an f16
/// scale), Q5_0 (32 5-bit values + a scale) and the K-quants Q4_K and Q6_K (256 values with 6-/8-bit sub-block
/// scales) — what a Q8_0 or Q4_K_M GGUF holds.
/// </summary>
public enum TensorDType { F32, F16, BF16, Q8_0, Q5_0, Q4_K, Q6_K }

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
    /// Copies the tensor's bytes in its stored type but Hugging Face layout (for a GGUF LLaMA's Q/K, rows un-permuted)
    /// to <paramref name="destination"/>, which holds <see cref="Numerics.ByteSize"/> bytes.
    /// </summary>
    unsafe void ReadStored(string name, byte* destination);

    /// <summary>
    /// When the tensor's stored bytes sit in a memory-mapped file already in Hugging Face layout (and, for f32, 4-byte
    /// aligned), a pointer into that mapping, valid until disposal; otherwise null and the caller uses
    /// <see cref="ReadStored"/>.
    /// </summary>
    unsafe byte* TryMap(string name);

    /// <summary>
    /// Drops the process's mapped pages of a tensor already copied (they stay in the page cache), so that copying a
    /// large checkpoint does not hold the file's pages and the copies at once. No effect on sources in memory.
    /// </summary>
    void Release(string name);
}

/// <summary>A checkpoint opened from disk: its config plus its tensors.</summary>
public sealed record Checkpoint(ModelConfig Config, ITensorSource Tensors, string Format) : IDisposable
{
    public void Dispose() => Tensors.Dispose();
}
