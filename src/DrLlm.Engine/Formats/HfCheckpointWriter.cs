using System.Runtime.InteropServices;
using System.Text.Json;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Formats;

/// <summary>
/// Writes a Hugging Face checkpoint directory that transformers' from_pretrained and <see cref="HfCheckpoint"/> read:
/// config.json and model.safetensors, or model-0000i-of-0000n.safetensors shards plus model.safetensors.index.json.
/// </summary>
public static class HfCheckpointWriter
{
    /// <summary>
    /// Writes every tensor <see cref="CheckpointSchema.Expected"/> lists for <paramref name="config"/> (all in
    /// <paramref name="dtype"/>: F32, F16 or BF16). With tied embeddings lm_head.weight is not written.
    /// <paramref name="maxShardBytes"/> splits the weights into shards of at most that many data bytes (a single
    /// larger tensor gets a shard of its own).
    /// </summary>
    public static void Write(string dir, ModelConfig config, IReadOnlyDictionary<string, float[]> tensors,
        TensorDType dtype, long? maxShardBytes = null)
    {
        config.Validate(dir);
        if (dtype is not (TensorDType.F32 or TensorDType.F16 or TensorDType.BF16))
            throw new ModelFormatException($"{dir}: safetensors has no {dtype}; use F32, F16 or BF16");
        if (maxShardBytes is <= 0) throw new ArgumentOutOfRangeException(nameof(maxShardBytes), maxShardBytes, "must be positive");

        var expected = CheckpointSchema.Expected(config).ToList();
        var known = expected.Select(e => e.Name).ToHashSet();
        foreach (var name in tensors.Keys)
            if (!known.Contains(name) && !(name == CheckpointSchema.LmHead && config.TieWordEmbeddings))
                throw new ModelFormatException($"{dir}: tensor '{name}' is not part of a {config.Architecture} checkpoint with this config");
        // Tensors are fetched one at a time while writing (a lazy source, such as RandomInit.Lazy for an 8B shape,
        // never holds the whole model as f32); a wrong length is found then, and the file being written is removed.
        var ordered = new List<(string Name, long[] Shape)>();
        foreach (var (name, shape, why) in expected)
        {
            if (!tensors.ContainsKey(name))
                throw new ModelFormatException($"{dir}: missing tensor '{name}', expected shape {CheckpointSchema.Format(shape)} {why}");
            ordered.Add((name, shape));
        }
        static long Count(long[] shape) => shape.Aggregate(1L, (a, b) => a * b);
        float[] Fetch((string Name, long[] Shape) t)
        {
            var data = tensors[t.Name];
            if (data.Length != Count(t.Shape))
                throw new ModelFormatException($"{dir}: tensor '{t.Name}' has {data.Length} values, expected {Count(t.Shape)} for shape {CheckpointSchema.Format(t.Shape)}");
            return data;
        }

        var shards = new List<List<(string Name, long[] Shape)>> { new() };
        long shardBytes = 0;
        foreach (var t in ordered)
        {
            long bytes = Numerics.ByteSize(dtype, Count(t.Shape));
            if (maxShardBytes is long max && shards[^1].Count > 0 && shardBytes + bytes > max)
            {
                shards.Add([]);
                shardBytes = 0;
            }
            shards[^1].Add(t);
            shardBytes += bytes;
        }

        Directory.CreateDirectory(dir);
        HfConfigJson.Write(Path.Combine(dir, HfCheckpoint.ConfigFile), config, dtype);
        if (maxShardBytes is null)
        {
            WriteSafeTensors(Path.Combine(dir, HfCheckpoint.SingleFile), shards[0], i => Fetch(shards[0][i]), dtype);
            return;
        }
        var weightMap = new List<(string Tensor, string File)>();
        for (int i = 0; i < shards.Count; i++)
        {
            string file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors"; // transformers' shard naming
            var shard = shards[i];
            WriteSafeTensors(Path.Combine(dir, file), shard, j => Fetch(shard[j]), dtype);
            weightMap.AddRange(shards[i].Select(t => (t.Name, file)));
        }
        using var stream = new FileStream(Path.Combine(dir, HfCheckpoint.IndexFile), FileMode.Create, FileAccess.Write);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteStartObject("metadata");
        w.WriteNumber("total_size", ordered.Sum(t => Numerics.ByteSize(dtype, Count(t.Shape))));
        w.WriteEndObject();
        w.WriteStartObject("weight_map");
        foreach (var (tensor, file) in weightMap) w.WriteString(tensor, file);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>
    /// One safetensors file: header JSON padded with spaces to a multiple of 8 (as the Rust writer does, so the data
    /// buffer and f32 tensors stay aligned), then the tensors back to back.
    /// </summary>
    public static void WriteSafeTensors(string path, IReadOnlyList<(string Name, long[] Shape, float[] Data)> tensors, TensorDType dtype) =>
        WriteSafeTensors(path, tensors.Select(t => (t.Name, t.Shape)).ToList(), i => tensors[i].Data, dtype);

    /// <summary>The same with each tensor's values fetched only when it is written; the file appears whole or not at all.</summary>
    private static void WriteSafeTensors(string path, IReadOnlyList<(string Name, long[] Shape)> tensors, Func<int, float[]> data, TensorDType dtype)
    {
        string dtypeName = dtype switch
        {
            TensorDType.F32 => "F32", TensorDType.F16 => "F16", TensorDType.BF16 => "BF16",
            _ => throw new ModelFormatException($"{path}: safetensors has no {dtype}; use F32, F16 or BF16"),
        };
        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteStartObject("__metadata__");
            w.WriteString("format", "pt");
            w.WriteEndObject();
            long offset = 0;
            foreach (var (name, shape) in tensors)
            {
                long bytes = Numerics.ByteSize(dtype, shape.Aggregate(1L, (a, b) => a * b));
                w.WriteStartObject(name);
                w.WriteString("dtype", dtypeName);
                w.WriteStartArray("shape");
                foreach (long n in shape) w.WriteNumberValue(n);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        while (json.Length % 8 != 0) json.WriteByte((byte)' ');

        string tmp = path + ".tmp";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                fs.Write(BitConverter.GetBytes((ulong)json.Length));
                json.WriteTo(fs);
                var buffer = new byte[1 << 18];
                for (int i = 0; i < tensors.Count; i++)
                {
                    var values = data(i);
                    for (int start = 0; start < values.Length; start += buffer.Length / 4)
                    {
                        var src = values.AsSpan(start, Math.Min(buffer.Length / 4, values.Length - start));
                        var dst = buffer.AsSpan(0, (int)Numerics.ByteSize(dtype, src.Length));
                        switch (dtype)
                        {
                            case TensorDType.F32: MemoryMarshal.AsBytes(src).CopyTo(dst); break;
                            case TensorDType.F16: Numerics.F32ToF16(src, MemoryMarshal.Cast<byte, Half>(dst)); break;
                            case TensorDType.BF16: Numerics.F32ToBF16(src, MemoryMarshal.Cast<byte, ushort>(dst)); break;
                        }
                        fs.Write(dst);
                    }
                }
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }
}
