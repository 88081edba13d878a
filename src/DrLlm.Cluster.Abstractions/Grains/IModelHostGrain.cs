namespace DrLlm.Cluster.Grains;

/// <summary>
/// The ModelHost grain ("{model}@{node}"): the face in the cluster of one base model loaded on one silo (it always
/// activates on that silo). The weights themselves are loaded once per silo before it joins, and the work grains
/// placed there use them in-process; this grain reports what the host is doing.
/// </summary>
public interface IModelHostGrain : IGrainWithStringKey
{
    Task<ModelHostInfo> Info();
}

/// <param name="Slots">work items the silo runs at once on this model (drllm node --concurrency)</param>
/// <param name="Busy">slots in use now</param>
/// <param name="Waiting">work grains waiting for a slot</param>
[GenerateSerializer]
public sealed record ModelHostInfo(string Model, string Node, string Format, string Sha256, int Blocks, long MemoryBytes,
    int Slots, int Busy, int Waiting, long Evaluations);
