using System.Runtime.InteropServices;
using System.Text;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Formats;

/// <summary>GGUF metadata value types (gguf-py/gguf/constants.py, GGUFValueType).</summary>
public enum GgufValueType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
}

/// <summary>One tensor of a GGUF file. <see cref="Shape"/> is row-major, outermost first (GGUF's ne[] reversed);
/// <see cref="Offset"/> is relative to the data section.</summary>
public sealed record GgufTensor(string Name, TensorDType DType, long[] Shape, long Offset, long ByteSize)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// A memory-mapped GGUF v2/v3 file (spec: ggml/docs/gguf.md; reference reader: ggml/src/gguf.cpp).
/// Layout: magic "GGUF", u32 version, u64 tensor count, u64 kv count, the kvs, the tensor infos, padding to
/// <c>general.alignment</c> (default 32), then the data section. Metadata values come back as the matching C#
/// type (u8 → byte, …, string → string, array → typed array such as string[] or float[], array of arrays → object[]).
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    public const uint Magic = 0x46554747; // "GGUF" read as little-endian u32
    public const uint DefaultAlignment = 32;

    readonly MappedFile _file;
    readonly Dictionary<string, GgufTensor> _byName;

    public string Path => _file.Path;
    public uint Version { get; }
    public uint Alignment { get; }
    /// <summary>Where the data section starts, in bytes from the start of the file.</summary>
    public long DataOffset { get; }
    public IReadOnlyDictionary<string, object> Metadata { get; }
    public IReadOnlyList<GgufTensor> Tensors { get; }

    GgufFile(MappedFile file, uint version, uint alignment, long dataOffset, Dictionary<string, object> metadata, List<GgufTensor> tensors)
    {
        _file = file; Version = version; Alignment = alignment; DataOffset = dataOffset;
        Metadata = metadata; Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name);
    }

    public static GgufFile Open(string path)
    {
        var file = MappedFile.Open(path, 4 + 4 + 8 + 8);
        try { return Parse(file); }
        catch { file.Dispose(); throw; }
    }

    static GgufFile Parse(MappedFile file)
    {
        var r = new Reader(file);
        uint magic = r.U32("magic");
        if (magic != Magic)
            throw new ModelFormatException($"{file.Path}: not a GGUF file (magic 0x{magic:x8}, expected 0x{Magic:x8} \"GGUF\")");
        uint version = r.U32("version");
        // v1 used u32 counts and is long obsolete; v2 and v3 share the layout (v3 only adds big-endian files).
        if (version is not (2 or 3))
            throw new ModelFormatException($"{file.Path}: GGUF version {version} is not supported (expected 2 or 3)");
        long nTensors = r.Count("tensor count", 8 + 4 + 4 + 8); // empty name, no dims, type, offset
        long nKv = r.Count("metadata kv count", 8 + 4);

        var metadata = new Dictionary<string, object>((int)Math.Min(nKv, 4096));
        for (long i = 0; i < nKv; i++)
        {
            string key = r.Str("metadata key");
            var type = (GgufValueType)r.U32($"type of metadata '{key}'");
            object value = r.Value(type, key);
            if (!metadata.TryAdd(key, value))
                throw new ModelFormatException($"{file.Path}: metadata key '{key}' appears twice");
        }

        uint alignment = DefaultAlignment;
        if (metadata.TryGetValue("general.alignment", out var a))
        {
            // gguf.cpp requires a u32 power of two.
            if (a is not uint ua || ua == 0 || (ua & (ua - 1)) != 0)
                throw new ModelFormatException($"{file.Path}: general.alignment must be a u32 power of two, got {a} ({a.GetType().Name})");
            alignment = ua;
        }

        var infos = new List<(string Name, long[] Ne, uint Type, ulong Offset)>((int)Math.Min(nTensors, 65536));
        for (long i = 0; i < nTensors; i++)
        {
            string name = r.Str("tensor name");
            uint nDims = r.U32($"dimension count of tensor '{name}'");
            if (nDims > 4) // GGML_MAX_DIMS
                throw new ModelFormatException($"{file.Path}: tensor '{name}' has {nDims} dimensions, at most 4 expected");
            var ne = new long[nDims];
            for (int j = 0; j < nDims; j++)
            {
                ulong n = r.U64($"dimension {j} of tensor '{name}'");
                if (n > long.MaxValue) throw new ModelFormatException($"{file.Path}: tensor '{name}' dimension {j} is {n}, too large");
                ne[j] = (long)n;
            }
            uint type = r.U32($"ggml type of tensor '{name}'");
            ulong offset = r.U64($"data offset of tensor '{name}'");
            infos.Add((name, ne, type, offset));
        }

        long dataOffset = AlignUp(r.Position, alignment);
        if (nTensors > 0 && dataOffset > file.Length)
            throw new ModelFormatException($"{file.Path}: truncated: data section would start at byte {dataOffset}, file is {file.Length} bytes");
        long dataLength = file.Length - dataOffset;

        var tensors = new List<GgufTensor>(infos.Count);
        var seen = new HashSet<string>();
        foreach (var (name, ne, type, offset) in infos)
        {
            if (!seen.Add(name)) throw new ModelFormatException($"{file.Path}: tensor '{name}' appears twice");
            var dtype = DTypeOf(type) ?? throw new ModelFormatException(
                $"{file.Path}: tensor '{name}' has ggml type {type} ({GgmlTypeName(type)}); supported: F32 (0), F16 (1), Q5_0 (6), Q8_0 (8), Q4_K (12), Q6_K (14), BF16 (30)");
            long count = 1;
            foreach (long n in ne)
            {
                if (n != 0 && count > long.MaxValue / 64 / n)
                    throw new ModelFormatException($"{file.Path}: tensor '{name}' shape [{string.Join(", ", ne)}] overflows");
                count *= n;
            }
            int block = Numerics.BlockSize(dtype);
            if (block > 1 && (ne.Length == 0 || ne[0] % block != 0))
                throw new ModelFormatException($"{file.Path}: {dtype} tensor '{name}' has row length {(ne.Length == 0 ? 1 : ne[0])}, a multiple of {block} expected");
            long size = Numerics.ByteSize(dtype, count);
            if (offset % alignment != 0)
                throw new ModelFormatException($"{file.Path}: tensor '{name}' data offset {offset} is not a multiple of the alignment {alignment}");
            if (offset > (ulong)dataLength || size > dataLength - (long)offset)
                throw new ModelFormatException($"{file.Path}: truncated: tensor '{name}' needs bytes {offset}..{(long)offset + size} of the data section, which has {dataLength}");
            var shape = ne.Reverse().ToArray();
            tensors.Add(new GgufTensor(name, dtype, shape, (long)offset, size));
        }
        return new GgufFile(file, version, alignment, dataOffset, metadata, tensors);
    }

    public GgufTensor? Find(string name) => _byName.GetValueOrDefault(name);

    public GgufTensor Get(string name) => Find(name) ?? throw new ModelFormatException($"{Path}: tensor '{name}' not found");

    /// <summary>Pointer to the tensor's bytes inside the mapping; valid until disposal.</summary>
    public byte* DataPointer(GgufTensor t) => _file.Base + DataOffset + t.Offset;

    /// <summary>Drops this process's mapped pages of the tensor (see <see cref="ITensorSource.Release"/>).</summary>
    public void Release(GgufTensor t) => _file.Release(DataOffset + t.Offset, t.ByteSize);

    /// <summary>Converts the whole tensor to f32 (length of <paramref name="destination"/> = element count).</summary>
    public void ReadF32(GgufTensor t, Span<float> destination)
    {
        if (destination.Length != t.ElementCount)
            throw new ArgumentException($"{Path}: tensor '{t.Name}' has {t.ElementCount} elements, destination holds {destination.Length}");
        Numerics.ToF32(t.DType, DataPointer(t), destination);
    }

    public bool Has(string key) => Metadata.ContainsKey(key);

    public string GetString(string key) => Metadata.TryGetValue(key, out var v)
        ? v as string ?? throw WrongType(key, v, "a string")
        : throw new ModelFormatException($"{Path}: metadata '{key}' is missing (a string expected)");

    /// <summary>Any integer type (GGUF writers differ: u32, i32, u64 are all seen for the same key).</summary>
    public long GetInteger(string key, long? fallback = null)
    {
        if (!Metadata.TryGetValue(key, out var v))
            return fallback ?? throw new ModelFormatException($"{Path}: metadata '{key}' is missing (an integer expected)");
        return v switch
        {
            byte x => x, sbyte x => x, ushort x => x, short x => x, uint x => x, int x => x, long x => x,
            ulong x when x <= long.MaxValue => (long)x,
            _ => throw WrongType(key, v, "an integer"),
        };
    }

    /// <summary><see cref="GetInteger"/> restricted to 0..int.MaxValue (counts, sizes, token ids).</summary>
    public int GetInt32(string key, int? fallback = null)
    {
        long v = GetInteger(key, fallback);
        if (v is < 0 or > int.MaxValue)
            throw new ModelFormatException($"{Path}: metadata '{key}' is {v}, expected a value in 0..{int.MaxValue}");
        return (int)v;
    }

    public double GetFloat(string key, double? fallback = null)
    {
        if (!Metadata.TryGetValue(key, out var v))
            return fallback ?? throw new ModelFormatException($"{Path}: metadata '{key}' is missing (a float expected)");
        return v switch { float x => x, double x => x, _ => throw WrongType(key, v, "a float") };
    }

    ModelFormatException WrongType(string key, object v, string expected) =>
        new($"{Path}: metadata '{key}' is {v.GetType().Name} {v}, {expected} expected");

    public void Dispose() => _file.Dispose();

    internal static long AlignUp(long x, long alignment) => (x + alignment - 1) / alignment * alignment;

    /// <summary>ggml_type numbers (ggml.h) of the dtypes we read and write.</summary>
    internal static uint GgmlType(TensorDType d) => d switch
    {
        TensorDType.F32 => 0, TensorDType.F16 => 1, TensorDType.Q5_0 => 6, TensorDType.Q8_0 => 8, TensorDType.Q4_K => 12,
        TensorDType.Q6_K => 14, TensorDType.BF16 => 30,
        _ => throw new ArgumentOutOfRangeException(nameof(d), d, null),
    };

    static TensorDType? DTypeOf(uint ggmlType) => ggmlType switch
    {
        0 => TensorDType.F32, 1 => TensorDType.F16, 6 => TensorDType.Q5_0, 8 => TensorDType.Q8_0, 12 => TensorDType.Q4_K,
        14 => TensorDType.Q6_K, 30 => TensorDType.BF16, _ => null,
    };

    // ggml.h enum ggml_type, for error messages only (4, 5 are removed Q4_2/Q4_3).
    static readonly string[] GgmlTypeNames =
    [
        "F32", "F16", "Q4_0", "Q4_1", "removed", "removed", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K",
        "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8",
        "I16", "I32", "I64", "F64", "IQ1_M", "BF16",
    ];

    static string GgmlTypeName(uint t) => t < GgmlTypeNames.Length ? GgmlTypeNames[t] : "unknown";

    /// <summary>Bounds-checked cursor over the mapping: every read names what it was reading when the file ends.</summary>
    sealed class Reader(MappedFile file)
    {
        public long Position;

        byte* Take(long n, string what)
        {
            if (n < 0 || n > file.Length - Position)
                throw new ModelFormatException($"{file.Path}: truncated at byte {Position} while reading {what} ({n} bytes needed, file is {file.Length})");
            byte* p = file.Base + Position;
            Position += n;
            return p;
        }

        public uint U32(string what) => *(uint*)Take(4, what);
        public ulong U64(string what) => *(ulong*)Take(8, what);

        /// <summary>A u64 count, refused when even the smallest entries could not fit in the rest of the file.</summary>
        public long Count(string what, long minBytesEach)
        {
            ulong n = U64(what);
            if (n > (ulong)((file.Length - Position) / minBytesEach))
                throw new ModelFormatException($"{file.Path}: {what} {n} cannot fit in the remaining {file.Length - Position} bytes");
            return (long)n;
        }

        public string Str(string what)
        {
            ulong len = U64($"length of {what}");
            if (len > (ulong)(file.Length - Position))
                throw new ModelFormatException($"{file.Path}: truncated at byte {Position}: {what} claims {len} bytes, file is {file.Length}");
            return Encoding.UTF8.GetString(Take((long)len, what), (int)Math.Min(len, int.MaxValue));
        }

        public object Value(GgufValueType type, string key) => type switch
        {
            GgufValueType.UInt8 => *Take(1, key),
            GgufValueType.Int8 => *(sbyte*)Take(1, key),
            GgufValueType.UInt16 => *(ushort*)Take(2, key),
            GgufValueType.Int16 => *(short*)Take(2, key),
            GgufValueType.UInt32 => *(uint*)Take(4, key),
            GgufValueType.Int32 => *(int*)Take(4, key),
            GgufValueType.Float32 => *(float*)Take(4, key),
            GgufValueType.Bool => *Take(1, key) != 0,
            GgufValueType.String => Str(key),
            GgufValueType.UInt64 => *(ulong*)Take(8, key),
            GgufValueType.Int64 => *(long*)Take(8, key),
            GgufValueType.Float64 => *(double*)Take(8, key),
            GgufValueType.Array => Array(key, 0),
            _ => throw new ModelFormatException($"{file.Path}: metadata '{key}' has unknown value type {(uint)type} (0..12 expected)"),
        };

        object Array(string key, int depth)
        {
            if (depth > 8) throw new ModelFormatException($"{file.Path}: array '{key}' nests deeper than 8 levels");
            var type = (GgufValueType)U32($"element type of array '{key}'");
            long n = Count($"length of array '{key}'", type switch
            {
                GgufValueType.UInt16 or GgufValueType.Int16 => 2,
                GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
                GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
                GgufValueType.Array => 12,
                _ => 1,
            });
            if (n > int.MaxValue) throw new ModelFormatException($"{file.Path}: array '{key}' has {n} elements, too many");
            int count = (int)n;
            return type switch
            {
                GgufValueType.UInt8 => Copy<byte>(count, key),
                GgufValueType.Int8 => Copy<sbyte>(count, key),
                GgufValueType.UInt16 => Copy<ushort>(count, key),
                GgufValueType.Int16 => Copy<short>(count, key),
                GgufValueType.UInt32 => Copy<uint>(count, key),
                GgufValueType.Int32 => Copy<int>(count, key),
                GgufValueType.Float32 => Copy<float>(count, key),
                GgufValueType.Bool => Copy<byte>(count, key).Select(b => b != 0).ToArray(),
                GgufValueType.UInt64 => Copy<ulong>(count, key),
                GgufValueType.Int64 => Copy<long>(count, key),
                GgufValueType.Float64 => Copy<double>(count, key),
                GgufValueType.String => Enumerable.Range(0, count).Select(i => Str($"element {i} of '{key}'")).ToArray(),
                GgufValueType.Array => Enumerable.Range(0, count).Select(_ => Array(key, depth + 1)).ToArray(),
                _ => throw new ModelFormatException($"{file.Path}: array '{key}' has unknown element type {(uint)type} (0..12 expected)"),
            };
        }

        T[] Copy<T>(int count, string key) where T : unmanaged =>
            new ReadOnlySpan<T>(Take((long)count * sizeof(T), $"array '{key}'"), count).ToArray();
    }
}
