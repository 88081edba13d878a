using System.Runtime.InteropServices;
using System.Text;

namespace DrLlm.Engine.Formats;

/// <summary>
/// Writes a GGUF v3 file (ggml/docs/gguf.md; same layout as gguf-py's GGUFWriter): header, metadata, tensor
/// infos, padding to 32, then each tensor's data padded to 32. Tensors are given as f32 and converted while
/// streaming to disk, so the writer never holds a second copy of the weights.
/// </summary>
/// <example><code>
/// var w = new GgufWriter();
/// w.Add("general.architecture", "llama");
/// w.Add("tokenizer.ggml.tokens", new[] { "a", "b" });
/// w.AddTensor("token_embd.weight", [vocab, dim], TensorDType.F16, embeddings);
/// w.Write("model.gguf");
/// </code></example>
public sealed class GgufWriter
{
    const uint Alignment = GgufFile.DefaultAlignment;

    readonly List<(string Key, object Value)> _metadata = [];
    readonly List<(string Name, long[] Shape, TensorDType DType, ReadOnlyMemory<float> Data)> _tensors = [];
    readonly HashSet<string> _keys = [];
    readonly HashSet<string> _names = [];

    /// <summary>
    /// Adds a metadata value; the GGUF type follows the C# type: byte/sbyte/ushort/short/uint/int/ulong/long,
    /// float, double, bool, string, or a one-dimensional array of any of those. Cast to pick the width
    /// (llama.cpp reads most counts as u32: <c>w.Add("llama.block_count", (uint)n)</c>).
    /// </summary>
    public void Add(string key, object value)
    {
        TypeOf(value.GetType(), key);
        if (!_keys.Add(key)) throw new ArgumentException($"GGUF metadata '{key}' added twice");
        _metadata.Add((key, value));
    }

    /// <summary>
    /// Adds a tensor. <paramref name="shape"/> is row-major, outermost first (it is reversed into GGUF's ne[]).
    /// Q8_0 needs the innermost dimension to be a multiple of 32.
    /// </summary>
    public void AddTensor(string name, long[] shape, TensorDType dtype, ReadOnlyMemory<float> data)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (shape.Length is 0 or > 4) throw new ArgumentException($"GGUF tensor '{name}': 1 to 4 dimensions expected, got {shape.Length}");
        if (count != data.Length) throw new ArgumentException($"GGUF tensor '{name}': shape [{string.Join(", ", shape)}] has {count} elements, data has {data.Length}");
        if (dtype == TensorDType.Q8_0 && shape[^1] % Numerics.Q8BlockSize != 0)
            throw new ArgumentException($"GGUF tensor '{name}': Q8_0 needs a row length that is a multiple of 32, got {shape[^1]}");
        if (!_names.Add(name)) throw new ArgumentException($"GGUF tensor '{name}' added twice");
        _tensors.Add((name, (long[])shape.Clone(), dtype, data));
    }

    public void Write(string path)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Write(fs);
    }

    public void Write(Stream stream)
    {
        // The header (metadata + tensor infos) is small next to the weights; building it in memory gives its
        // length for the padding before the data section without needing a seekable stream.
        var header = new MemoryStream();
        var w = new BinaryWriter(header, Encoding.UTF8);
        w.Write(GgufFile.Magic);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(w, key);
            var type = TypeOf(value.GetType(), key);
            w.Write((uint)type);
            WriteValue(w, value);
        }
        long offset = 0;
        foreach (var (name, shape, dtype, data) in _tensors)
        {
            WriteString(w, name);
            w.Write((uint)shape.Length);
            for (int i = shape.Length - 1; i >= 0; i--) w.Write((ulong)shape[i]); // ne[0] is the innermost
            w.Write(GgufFile.GgmlType(dtype));
            w.Write((ulong)offset);
            offset = GgufFile.AlignUp(offset + Numerics.ByteSize(dtype, data.Length), Alignment);
        }
        w.Flush();
        header.WriteTo(stream);
        Pad(stream, header.Length);

        foreach (var (_, _, dtype, data) in _tensors)
        {
            WriteData(stream, dtype, data.Span);
            Pad(stream, Numerics.ByteSize(dtype, data.Length));
        }
        stream.Flush();
    }

    static void Pad(Stream s, long length)
    {
        long pad = GgufFile.AlignUp(length, Alignment) - length;
        for (long i = 0; i < pad; i++) s.WriteByte(0);
    }

    /// <summary>Converts in chunks (a multiple of the Q8_0 block) so the byte buffer stays small.</summary>
    static void WriteData(Stream s, TensorDType dtype, ReadOnlySpan<float> data)
    {
        const int chunk = 1 << 16; // elements; a multiple of 32
        var buffer = new byte[Numerics.ByteSize(TensorDType.F32, chunk)];
        for (int start = 0; start < data.Length; start += chunk)
        {
            var src = data.Slice(start, Math.Min(chunk, data.Length - start));
            int bytes = (int)Numerics.ByteSize(dtype, src.Length);
            var dst = buffer.AsSpan(0, bytes);
            switch (dtype)
            {
                case TensorDType.F32: MemoryMarshal.AsBytes(src).CopyTo(dst); break;
                case TensorDType.F16: Numerics.F32ToF16(src, MemoryMarshal.Cast<byte, Half>(dst)); break;
                case TensorDType.BF16: Numerics.F32ToBF16(src, MemoryMarshal.Cast<byte, ushort>(dst)); break;
                case TensorDType.Q8_0: Numerics.F32ToQ8_0(src, dst); break;
            }
            s.Write(dst);
        }
    }

    static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    static GgufValueType TypeOf(Type t, string key)
    {
        if (t.IsArray)
        {
            var element = t.GetElementType()!;
            if (element.IsArray || element == typeof(object))
                throw new ArgumentException($"GGUF metadata '{key}': arrays of arrays or of object are not supported by this writer");
            TypeOf(element, key);
            return GgufValueType.Array;
        }
        return Type.GetTypeCode(t) switch
        {
            TypeCode.Byte => GgufValueType.UInt8, TypeCode.SByte => GgufValueType.Int8,
            TypeCode.UInt16 => GgufValueType.UInt16, TypeCode.Int16 => GgufValueType.Int16,
            TypeCode.UInt32 => GgufValueType.UInt32, TypeCode.Int32 => GgufValueType.Int32,
            TypeCode.UInt64 => GgufValueType.UInt64, TypeCode.Int64 => GgufValueType.Int64,
            TypeCode.Single => GgufValueType.Float32, TypeCode.Double => GgufValueType.Float64,
            TypeCode.Boolean => GgufValueType.Bool, TypeCode.String => GgufValueType.String,
            _ => throw new ArgumentException($"GGUF metadata '{key}': type {t.Name} has no GGUF value type"),
        };
    }

    static void WriteValue(BinaryWriter w, object value)
    {
        switch (value)
        {
            case byte x: w.Write(x); break;
            case sbyte x: w.Write(x); break;
            case ushort x: w.Write(x); break;
            case short x: w.Write(x); break;
            case uint x: w.Write(x); break;
            case int x: w.Write(x); break;
            case float x: w.Write(x); break;
            case bool x: w.Write((byte)(x ? 1 : 0)); break;
            case string x: WriteString(w, x); break;
            case ulong x: w.Write(x); break;
            case long x: w.Write(x); break;
            case double x: w.Write(x); break;
            case Array arr:
                w.Write((uint)TypeOf(arr.GetType().GetElementType()!, "array"));
                w.Write((ulong)arr.Length);
                foreach (var e in arr) WriteValue(w, e);
                break;
        }
    }
}
