using System.Text.Json;
using DrLlm.Engine.Model;

namespace DrLlm.Engine.Formats;

/// <summary>
/// Opens a Hugging Face checkpoint directory: config.json plus model.safetensors, or model.safetensors.index.json
/// whose weight_map names the shard holding each tensor (transformers' sharded save format).
/// </summary>
public static class HfCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    public static Checkpoint Open(string dir)
    {
        if (!Directory.Exists(dir)) throw new ModelFormatException($"{dir}: directory not found");
        var config = HfConfigJson.Read(Path.Combine(dir, ConfigFile));
        var files = new List<SafeTensorsFile>();
        try
        {
            string index = Path.Combine(dir, IndexFile), single = Path.Combine(dir, SingleFile);
            if (File.Exists(index))
                foreach (var shard in ReadIndex(index)) files.Add(SafeTensorsFile.Open(Path.Combine(dir, shard)));
            else if (File.Exists(single))
                files.Add(SafeTensorsFile.Open(single));
            else
                throw new ModelFormatException($"{dir}: neither {SingleFile} nor {IndexFile} found");
            return new Checkpoint(config, new SafeTensorsSource(dir, config, files), "safetensors");
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    /// <summary>The distinct shard files of an index, each checked to exist (a missing shard is named).</summary>
    static List<string> ReadIndex(string indexPath)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(indexPath)); }
        catch (JsonException e) { throw new ModelFormatException($"{indexPath}: not valid JSON ({e.Message})", e); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException($"{indexPath}: missing 'weight_map' object (tensor name → shard file)");
            var shards = new List<string>();
            foreach (var p in map.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw new ModelFormatException($"{indexPath}: weight_map '{p.Name}' must be a file name, got {p.Value}");
                string shard = p.Value.GetString()!;
                // Shards live next to the index; a path that leaves the directory is not a shard.
                if (shard.Length == 0 || shard != Path.GetFileName(shard))
                    throw new ModelFormatException($"{indexPath}: weight_map '{p.Name}' names '{shard}', a file name in the same directory expected");
                if (!shards.Contains(shard)) shards.Add(shard);
            }
            string dir = Path.GetDirectoryName(indexPath)!;
            foreach (var shard in shards)
                if (!File.Exists(Path.Combine(dir, shard)))
                    throw new ModelFormatException($"{indexPath}: shard '{shard}' listed in weight_map is missing from {dir}");
            return shards;
        }
    }
}

/// <summary>Tensors spread over one or more safetensors files, already in Hugging Face names and layout.</summary>
internal sealed unsafe class SafeTensorsSource : ITensorSource
{
    readonly List<SafeTensorsFile> _files;
    readonly Dictionary<string, (SafeTensorsFile File, SafeTensor Tensor)> _byName = [];
    readonly Dictionary<string, TensorInfo> _tensors = [];

    public string SourcePath { get; }
    public IReadOnlyDictionary<string, TensorInfo> Tensors => _tensors;

    public SafeTensorsSource(string dir, ModelConfig config, List<SafeTensorsFile> files)
    {
        SourcePath = dir;
        _files = files;
        foreach (var f in files)
            foreach (var t in f.Tensors.Values)
            {
                if (!_byName.TryAdd(t.Name, (f, t)))
                    throw new ModelFormatException($"{dir}: tensor '{t.Name}' is in both {_byName[t.Name].File.Path} and {f.Path}");
                _tensors[t.Name] = new TensorInfo(t.Name, t.DType, t.Shape);
            }
        CheckpointSchema.Validate(config, _tensors, dir);
    }

    (SafeTensorsFile File, SafeTensor Tensor) Get(string name) => _byName.TryGetValue(name, out var e) ? e
        : throw new ModelFormatException($"{SourcePath}: no tensor '{name}'");

    public void ReadF32(string name, Span<float> destination)
    {
        var (f, t) = Get(name);
        f.ReadF32(t, destination);
    }

    public void ReadStored(string name, byte* destination)
    {
        var (f, t) = Get(name);
        Buffer.MemoryCopy(f.DataPointer(t), destination, t.End - t.Begin, t.End - t.Begin);
    }

    public byte* TryMap(string name)
    {
        var (f, t) = Get(name);
        return f.TryMap(t);
    }

    public void Release(string name)
    {
        var (f, t) = Get(name);
        f.Release(t);
    }

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }
}
