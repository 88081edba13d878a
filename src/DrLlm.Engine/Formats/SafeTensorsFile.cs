using System.Text.Json;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Formats;

/// <summary>One tensor of a safetensors file; <see cref="Begin"/>/<see cref="End"/> are byte offsets into the data buffer.</summary>
public sealed record SafeTensor(string Name, TensorDType DType, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// A memory-mapped safetensors file (spec: huggingface/safetensors README, "Format"): u64 little-endian header
/// length N, N bytes of UTF-8 JSON mapping each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets
/// relative to the byte buffer that follows the header) plus an optional "__metadata__" string map, then the buffer.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    readonly MappedFile _file;
    readonly Dictionary<string, SafeTensor> _tensors;

    public string Path => _file.Path;
    public IReadOnlyDictionary<string, SafeTensor> Tensors => _tensors;
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>Start of the byte buffer in the file: 8 + header length.</summary>
    public long DataOffset { get; }

    SafeTensorsFile(MappedFile file, long dataOffset, Dictionary<string, SafeTensor> tensors, Dictionary<string, string> metadata)
    {
        _file = file; DataOffset = dataOffset; _tensors = tensors; Metadata = metadata;
    }

    public static SafeTensorsFile Open(string path)
    {
        var file = MappedFile.Open(path, 8);
        try { return Parse(file); }
        catch { file.Dispose(); throw; }
    }

    static SafeTensorsFile Parse(MappedFile file)
    {
        string path = file.Path;
        ulong headerLength = *(ulong*)file.Base;
        if (headerLength > (ulong)(file.Length - 8))
            throw new ModelFormatException($"{path}: header length {headerLength} runs past the end of the file ({file.Length} bytes)");
        if (headerLength > int.MaxValue)
            throw new ModelFormatException($"{path}: header length {headerLength} is too large (the spec caps it at 100 MB)");
        long dataOffset = 8 + (long)headerLength;
        long dataLength = file.Length - dataOffset;

        JsonDocument doc;
        try
        {
            var json = new ReadOnlySpan<byte>(file.Base + 8, (int)headerLength).ToArray();
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"{path}: header is not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException($"{path}: header must be a JSON object of tensors, got {doc.RootElement.ValueKind}");
            var tensors = new Dictionary<string, SafeTensor>();
            var metadata = new Dictionary<string, string>();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    if (p.Value.ValueKind != JsonValueKind.Object)
                        throw new ModelFormatException($"{path}: __metadata__ must be an object of strings");
                    foreach (var m in p.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()!
                            : throw new ModelFormatException($"{path}: __metadata__ '{m.Name}' must be a string, got {m.Value.ValueKind}");
                    continue;
                }
                var t = ParseTensor(path, p.Name, p.Value, dataLength);
                if (!tensors.TryAdd(t.Name, t)) throw new ModelFormatException($"{path}: tensor '{t.Name}' appears twice in the header");
            }
            // The spec forbids overlapping data (and holes); overlap would let one tensor alias another.
            SafeTensor? previous = null;
            foreach (var t in tensors.Values.Where(t => t.End > t.Begin).OrderBy(t => t.Begin))
            {
                if (previous is not null && t.Begin < previous.End)
                    throw new ModelFormatException($"{path}: tensors '{previous.Name}' (bytes {previous.Begin}..{previous.End}) and '{t.Name}' (bytes {t.Begin}..{t.End}) overlap");
                previous = t;
            }
            return new SafeTensorsFile(file, dataOffset, tensors, metadata);
        }
    }

    static SafeTensor ParseTensor(string path, string name, JsonElement e, long dataLength)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException($"{path}: tensor '{name}' header entry must be an object with dtype, shape, data_offsets");
        JsonElement Field(string field) => e.TryGetProperty(field, out var v) ? v
            : throw new ModelFormatException($"{path}: tensor '{name}' has no '{field}' in the header");

        var dtypeEl = Field("dtype");
        string dtypeName = dtypeEl.ValueKind == JsonValueKind.String ? dtypeEl.GetString()! : dtypeEl.ToString();
        var dtype = dtypeName switch
        {
            "F32" => TensorDType.F32,
            "F16" => TensorDType.F16,
            "BF16" => TensorDType.BF16,
            _ => throw new ModelFormatException($"{path}: tensor '{name}' has dtype '{dtypeName}'; supported: F32, F16, BF16"),
        };
        var shape = Integers(path, name, "shape", Field("shape"));
        var offsets = Integers(path, name, "data_offsets", Field("data_offsets"));
        if (offsets.Length != 2)
            throw new ModelFormatException($"{path}: tensor '{name}' data_offsets must be [begin, end], got {offsets.Length} values");
        long begin = offsets[0], end = offsets[1];
        if (begin > end || end > dataLength)
            throw new ModelFormatException($"{path}: tensor '{name}' data_offsets [{begin}, {end}] are out of range of the {dataLength}-byte data buffer");
        long count = 1;
        foreach (long n in shape)
        {
            if (n != 0 && count > long.MaxValue / 8 / n)
                throw new ModelFormatException($"{path}: tensor '{name}' shape {CheckpointSchema.Format(shape)} overflows");
            count *= n;
        }
        long expected = Numerics.ByteSize(dtype, count);
        if (end - begin != expected)
            throw new ModelFormatException($"{path}: tensor '{name}' has {end - begin} bytes, expected {expected} for {dtypeName} {CheckpointSchema.Format(shape)}");
        return new SafeTensor(name, dtype, shape, begin, end);
    }

    static long[] Integers(string path, string name, string field, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Array)
            throw new ModelFormatException($"{path}: tensor '{name}' {field} must be an array of non-negative integers, got {e.ValueKind}");
        var result = new long[e.GetArrayLength()];
        int i = 0;
        foreach (var v in e.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x) || x < 0)
                throw new ModelFormatException($"{path}: tensor '{name}' {field} must be an array of non-negative integers, got {e}");
            result[i++] = x;
        }
        return result;
    }

    public SafeTensor Get(string name) => _tensors.TryGetValue(name, out var t) ? t
        : throw new ModelFormatException($"{Path}: tensor '{name}' not found");

    public byte* DataPointer(SafeTensor t) => _file.Base + DataOffset + t.Begin;

    /// <summary>Converts the whole tensor to f32 (length of <paramref name="destination"/> = element count).</summary>
    public void ReadF32(SafeTensor t, Span<float> destination)
    {
        if (destination.Length != t.ElementCount)
            throw new ArgumentException($"{Path}: tensor '{t.Name}' has {t.ElementCount} elements, destination holds {destination.Length}");
        Numerics.ToF32(t.DType, DataPointer(t), destination);
    }

    /// <summary>A pointer into the mapping; for f32 only when 4-byte aligned (the spec does not promise alignment).</summary>
    public byte* TryMap(SafeTensor t)
    {
        byte* p = DataPointer(t);
        return t.DType != TensorDType.F32 || ((nuint)p & 3) == 0 ? p : null;
    }

    /// <summary>Drops this process's mapped pages of the tensor (see <see cref="ITensorSource.Release"/>).</summary>
    public void Release(SafeTensor t) => _file.Release(DataOffset + t.Begin, t.End - t.Begin);

    public void Dispose() => _file.Dispose();
}
