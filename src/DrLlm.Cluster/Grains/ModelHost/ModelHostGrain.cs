using DrLlm.Cluster.Hosts;
using DrLlm.Cluster.Placement;
using DrLlm.Cluster.Silo;

namespace DrLlm.Cluster.Grains;

/// <summary>The ModelHost grain ("{model}@{node}"), placed on that node by <see cref="ModelPlacement"/>: reports the
/// model loaded there and its slots.</summary>
[ModelPlacement]
public sealed class ModelHostGrain(ModelHosts hosts, SiloNode node) : Grain, IModelHostGrain
{
    public Task<ModelHostInfo> Info()
    {
        var model = GrainKeys.ModelOf(this.GetPrimaryKeyString())!;
        var host = hosts.Get(model) ?? throw new InvalidOperationException($"node {node.Id} does not host model '{model}'");
        var slots = hosts.SlotsOf(model);
        return Task.FromResult(new ModelHostInfo(model, node.Id, host.Format, host.Identity.Sha256, host.NumBlocks, host.MemoryBytes,
            slots.Count, slots.Busy, slots.Waiting, slots.Served));
    }
}
