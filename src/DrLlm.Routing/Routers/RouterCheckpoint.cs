using System.Security.Cryptography;
using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;

namespace DrLlm.Routing.Routers;

/// <summary>
/// Which base model routers belong to: a name, the SHA-256 of its weights, its hidden size and block count. For a
/// single weights file the hash is that file's SHA-256 (what sha256sum prints); for a directory with several weight
/// files (shards) it is the SHA-256 of their sha256sum lines ("HASH  NAME\n", sorted by name).
/// </summary>
public sealed record BaseModelIdentity(string Name, string Sha256, int HiddenSize, int NumBlocks)
{
    /// <summary>Identity of the model at <paramref name="modelPath"/> (a GGUF / safetensors file or an HF directory).</summary>
    public static BaseModelIdentity Of(string modelPath, ModelConfig config)
    {
        string full = Path.GetFullPath(modelPath);
        string[] files;
        if (File.Exists(full)) files = [full];
        else if (Directory.Exists(full))
        {
            files = Directory.GetFiles(full).Where(f => f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".gguf", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new FileNotFoundException($"{full}: no .safetensors or .gguf weights to identify the base model by");
        }
        else throw new FileNotFoundException($"{full}: base model not found");
        string name = Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar));
        string hash = files.Length == 1 ? HashFile(files[0])
            : Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
                string.Concat(files.Select(f => $"{HashFile(f)}  {Path.GetFileName(f)}\n")))));
        return new BaseModelIdentity(name, hash, config.HiddenSize, config.NumLayers);
    }

    private static string HashFile(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>The same weights and shape (the name is only a label: a copied or renamed model is the same model).</summary>
    public bool SameWeights(BaseModelIdentity other) =>
        Sha256 == other.Sha256 && HiddenSize == other.HiddenSize && NumBlocks == other.NumBlocks;

    public override string ToString() => $"{Name} (sha256 {Sha256[..Math.Min(12, Sha256.Length)]}…, d {HiddenSize}, {NumBlocks} blocks)";
}

/// <summary>
/// Everything a router checkpoint says about itself besides the weights. <see cref="DecisionThreshold"/> is the routers'
/// τ (<see cref="RouterSet.DecisionThreshold"/>); 0 in checkpoints written before it existed, the argmax they used.
/// </summary>
public sealed record RouterMetadata(
    BaseModelIdentity BaseModel,
    int HiddenSize,
    int NumBlocks,
    int RouterHidden,
    int Windows,
    double[] ClassWeights,
    long[]? TrainClassCounts,
    RouterTrainingOptions? Training,
    IReadOnlyList<EpochMetrics>? Metrics,
    int FormatVersion = 1,
    double DecisionThreshold = 0);

/// <summary>
/// A router set on disk: routers.safetensors (f32; router l's tensors named as PyTorch would, routers.{l}.fc1.weight
/// [h, d], fc1.bias [h], fc2.weight [3, h], fc2.bias [3], and its fixed input factor routers.{l}.input_scale [1], a
/// buffer in PyTorch's terms) and routers.json (<see cref="RouterMetadata"/>). A file without input_scale tensors
/// (written before they existed) loads with factor 1, the paper's router.
/// </summary>
public static class RouterCheckpoint
{
    public const string WeightsFile = "routers.safetensors";
    public const string MetadataFile = "routers.json";

    public static void Save(string dir, RouterSet routers, RouterMetadata metadata)
    {
        if (metadata.NumBlocks != routers.NumBlocks || metadata.HiddenSize != routers.Dim || metadata.RouterHidden != routers.Hidden || metadata.Windows != routers.Windows)
            throw new ArgumentException("router metadata disagrees with the router set (blocks, d, hidden or windows)");
        Directory.CreateDirectory(dir);
        var tensors = new List<(string, long[], float[])>();
        for (int l = 0; l < routers.NumBlocks; l++)
        {
            var r = routers[l];
            tensors.Add(($"routers.{l}.fc1.weight", [r.Hidden, r.Dim], r.Fc1Weight.ToArray()));
            tensors.Add(($"routers.{l}.fc1.bias", [r.Hidden], r.Fc1Bias.ToArray()));
            tensors.Add(($"routers.{l}.fc2.weight", [Router.Classes, r.Hidden], r.Fc2Weight.ToArray()));
            tensors.Add(($"routers.{l}.fc2.bias", [Router.Classes], r.Fc2Bias.ToArray()));
            tensors.Add(($"routers.{l}.input_scale", [1], [r.InputScale]));
        }
        HfCheckpointWriter.WriteSafeTensors(Path.Combine(dir, WeightsFile), tensors, TensorDType.F32);
        WriteMetadata(dir, metadata with { DecisionThreshold = routers.DecisionThreshold });
    }

    /// <summary>Stores τ in the checkpoint in <paramref name="dir"/> (its routers.json; the weights stay as they are).</summary>
    public static void SetDecisionThreshold(string dir, double threshold)
    {
        var (routers, meta) = Load(dir);
        routers.DecisionThreshold = threshold; // checks the range
        WriteMetadata(dir, meta with { DecisionThreshold = threshold });
    }

    private static void WriteMetadata(string dir, RouterMetadata metadata) =>
        File.WriteAllText(Path.Combine(dir, MetadataFile), System.Text.Json.JsonSerializer.Serialize(metadata, RouterJson.Options));

    /// <summary>
    /// Loads the routers in <paramref name="dir"/>. With <paramref name="expectedBase"/>, routers trained on another
    /// model (a different weights hash, hidden size or block count) are refused with an error naming both models.
    /// </summary>
    public static (RouterSet Routers, RouterMetadata Metadata) Load(string dir, BaseModelIdentity? expectedBase = null)
    {
        string json = Path.Combine(dir, MetadataFile), weights = Path.Combine(dir, WeightsFile);
        if (!File.Exists(json)) throw new FileNotFoundException($"{json}: router metadata not found");
        if (!File.Exists(weights)) throw new FileNotFoundException($"{weights}: router weights not found");
        var meta = RouterJson.Read<RouterMetadata>(json);
        if (meta.BaseModel?.Sha256 is null || meta.ClassWeights is null || meta.NumBlocks < 1 || meta.HiddenSize < 1 || meta.RouterHidden < 1 || meta.Windows < 1)
            throw new ModelFormatException($"{json}: incomplete router metadata (base_model with its sha256, class_weights, num_blocks, hidden_size, router_hidden, windows are required)");
        if (meta.Metrics?.Any(m => m is null) == true) // element nulls escape the serializer's nullability check
            throw new ModelFormatException($"{json}: metrics holds a null entry; each is one epoch's metrics");
        if (meta.ClassWeights.Length != Router.Classes)
            throw new ModelFormatException($"{json}: class_weights has {meta.ClassWeights.Length} values; expected {Router.Classes} (skip, execute, repeat)");
        // The sizes decide an allocation before any tensor is read: they must describe no more weights than the file
        // holds (an edited or corrupt routers.json would otherwise ask for an absurd buffer or overflow its size).
        long perRouter = (long)meta.RouterHidden * meta.HiddenSize + meta.RouterHidden + (long)Router.Classes * meta.RouterHidden + Router.Classes;
        double total = (double)perRouter * meta.NumBlocks; // a double: the product of absurd sizes overflows a long
        long available = new FileInfo(weights).Length / sizeof(float);
        if (total > available || total > Array.MaxLength)
            throw new ModelFormatException($"{json}: num_blocks {meta.NumBlocks}, hidden_size {meta.HiddenSize} and router_hidden {meta.RouterHidden} " +
                $"describe {total:N0} router weights; {weights} holds at most {available:N0}");
        if ((long)meta.Windows * meta.RouterHidden > int.MaxValue)
            throw new ModelFormatException($"{json}: windows {meta.Windows} × router_hidden {meta.RouterHidden} is too large for the routers' buffers");
        if (expectedBase is not null)
        {
            var b = meta.BaseModel;
            if (!b.SameWeights(expectedBase) || meta.HiddenSize != expectedBase.HiddenSize || meta.NumBlocks != expectedBase.NumBlocks)
                throw new RouterMismatchException($"{json}: routers were trained for base model {b}; the model given is {expectedBase}");
            // The trainer state beside the routers records the model the weights were actually trained on; routers.json
            // disagreeing with it means the set was relabelled (e.g. a resume onto another model by an older drllm).
            if (RouterTrainer.BaseModelOfState(dir) is { } trained && !trained.SameWeights(b))
                throw new RouterMismatchException($"{json}: names base model {b}, but {RouterTrainer.StateFile} beside it was trained on {trained}");
        }

        int L = meta.NumBlocks, d = meta.HiddenSize, h = meta.RouterHidden;
        using var file = SafeTensorsFile.Open(weights);
        bool hasScales = file.Tensors.Count == 5 * L;
        if (file.Tensors.Count != 5 * L && file.Tensors.Count != 4 * L)
            throw new ModelFormatException($"{weights}: {file.Tensors.Count} tensors; {L} routers need {5 * L} (or {4 * L} without input scales)");
        var scales = Enumerable.Repeat(1f, L).ToArray();
        if (hasScales)
            for (int l = 0; l < L; l++)
            {
                Read(file, weights, $"routers.{l}.input_scale", [1], scales.AsSpan(l, 1));
                if (!float.IsFinite(scales[l]) || scales[l] <= 0)
                    throw new ModelFormatException($"{weights}: routers.{l}.input_scale is {scales[l]}; it must be finite and > 0");
            }
        var routers = new RouterSet(L, d, h, meta.Windows, new float[(long)L * Router.ParameterCount(d, h)], scales);
        for (int l = 0; l < L; l++)
        {
            var r = routers[l];
            Read(file, weights, $"routers.{l}.fc1.weight", [h, d], r.Fc1Weight);
            Read(file, weights, $"routers.{l}.fc1.bias", [h], r.Fc1Bias);
            Read(file, weights, $"routers.{l}.fc2.weight", [Router.Classes, h], r.Fc2Weight);
            Read(file, weights, $"routers.{l}.fc2.bias", [Router.Classes], r.Fc2Bias);
        }
        foreach (float p in routers.Parameters)
            if (!float.IsFinite(p)) throw new ModelFormatException($"{weights}: router weights hold a non-finite value");
        if (meta.DecisionThreshold is not (>= 0 and <= 1))
            throw new ModelFormatException($"{json}: decision_threshold is {meta.DecisionThreshold}; it must be in [0, 1]");
        routers.DecisionThreshold = meta.DecisionThreshold;
        return (routers, meta);
    }

    private static void Read(SafeTensorsFile file, string path, string name, long[] shape, Span<float> dst)
    {
        var t = file.Get(name);
        if (t.DType != TensorDType.F32)
            throw new ModelFormatException($"{path}: tensor {name} is {t.DType}; router weights are F32");
        if (!t.Shape.SequenceEqual(shape))
            throw new ModelFormatException($"{path}: tensor {name} has shape [{string.Join(", ", t.Shape)}]; expected [{string.Join(", ", shape)}]");
        file.ReadF32(t, dst);
    }
}

/// <summary>Routers loaded against a base model they were not trained for: a bad argument (the CLI prints it as one line).</summary>
public sealed class RouterMismatchException(string message) : ArgumentException(message);
