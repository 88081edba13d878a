using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace DrLlm.Cluster.Placement;

/// <summary>
/// Placement by base model: a grain keyed "{model}/…" (GrainKeys) activates only on a silo whose metadata lists that
/// model among the ones it loaded, and a model host "{model}@{node}" only on that node. Among the silos that qualify,
/// the caller may name one (the Sweep grain does, picking the silo with free slots: <see cref="SiloHint"/>); otherwise
/// one is taken at random. No qualifying silo: the activation fails naming the model, and the caller (the Sweep
/// grain) keeps the work pending until a silo that hosts it joins.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class ModelPlacement : PlacementStrategy
{
    public static readonly ModelPlacement Instance = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ModelPlacementAttribute() : PlacementAttribute(ModelPlacement.Instance);

/// <summary>What a silo publishes about itself (silo metadata), read by placement and by the Sweep grain.</summary>
public static class SiloFacts
{
    public const string NodeKey = "drllm.node", ModelsKey = "drllm.models", ConcurrencyKey = "drllm.concurrency";

    public static Dictionary<string, string> Describe(string node, IEnumerable<string> models, int concurrency) => new()
    {
        [NodeKey] = node,
        [ModelsKey] = string.Join(',', models),
        [ConcurrencyKey] = concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static string? Node(SiloMetadata m) => m.Metadata.GetValueOrDefault(NodeKey);
    public static bool Hosts(SiloMetadata m, string model) =>
        m.Metadata.TryGetValue(ModelsKey, out var list) && list.Split(',').Contains(model);
    public static int Concurrency(SiloMetadata m) =>
        m.Metadata.TryGetValue(ConcurrencyKey, out var c) && int.TryParse(c, out var n) ? n : 1;
}

/// <summary>The caller's choice of silo for the next activation it causes, carried in the request context.</summary>
public static class SiloHint
{
    public const string Key = "drllm.silo";

    /// <summary>Runs <paramref name="call"/> with the hint set (request context flows with the call it makes).</summary>
    public static async Task With(string node, Func<Task> call)
    {
        RequestContext.Set(Key, node);
        try { await call(); }
        finally { RequestContext.Remove(Key); }
    }
}

public sealed class ModelPlacementDirector(ISiloMetadataCache metadata) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString() ?? "";
        var model = GrainKeys.ModelOf(key) ?? throw new ArgumentException($"grain key '{key}' names no base model");
        var pinned = GrainKeys.NodeOf(key);
        var silos = context.GetCompatibleSilos(target).Where(s =>
        {
            var m = metadata.GetSiloMetadata(s);
            return SiloFacts.Hosts(m, model) && (pinned is null || SiloFacts.Node(m) == pinned);
        }).ToArray();
        if (silos.Length == 0)
            throw new NoSiloHostsModelException(pinned is null ? $"no live silo hosts model '{model}'" : $"node '{pinned}' is not live or does not host model '{model}'");
        if (target.RequestContextData?.GetValueOrDefault(SiloHint.Key) is string hint
            && silos.FirstOrDefault(s => SiloFacts.Node(metadata.GetSiloMetadata(s)) == hint) is { } chosen)
            return Task.FromResult(chosen);
        return Task.FromResult(silos[Random.Shared.Next(silos.Length)]);
    }
}

/// <summary>No live silo can activate a grain of this model (yet).</summary>
[GenerateSerializer]
public sealed class NoSiloHostsModelException(string message) : Exception(message);
