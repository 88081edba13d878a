namespace DrLlm.Routing.Search;

/// <summary>
/// How far two searches of the same examples (another search seed, say) agree on their labels: a label that belongs
/// to the example, not to the search's random order, is the same in both (issue 14). Examples are matched by id.
/// <see cref="IdenticalPathShare"/> and <see cref="BlockAgreement"/> count the examples both searches kept; the per-block
/// share is the routers' ceiling, since a router cannot agree with labels that disagree with themselves.
/// </summary>
public sealed record LabelAgreement(
    int Examples,
    int KeptInBoth,
    int KeptInOne,
    double IdenticalPathShare,
    double BlockAgreement,
    double[] BlockAgreementByBlock)
{
    public static LabelAgreement Compute(IReadOnlyList<ExampleSearchResult> a, IReadOnlyList<ExampleSearchResult> b)
    {
        var byId = new Dictionary<string, ExampleSearchResult>();
        foreach (var r in b)
            if (!byId.TryAdd(r.Id, r)) throw new ArgumentException($"example '{r.Id}' appears twice in the second label set");
        int examples = 0, both = 0, one = 0, identical = 0, numBlocks = -1;
        long blocks = 0, blocksEqual = 0;
        long[]? equalByBlock = null;
        var seen = new HashSet<string>();
        foreach (var x in a)
        {
            if (!seen.Add(x.Id)) throw new ArgumentException($"example '{x.Id}' appears twice in the first label set");
            if (!byId.TryGetValue(x.Id, out var y)) continue;
            examples++;
            if ((x.Labels is null) != (y.Labels is null)) one++;
            if (x.Labels is null || y.Labels is null) continue;
            if (numBlocks < 0)
            {
                numBlocks = x.Labels.Length;
                equalByBlock = new long[numBlocks];
            }
            if (x.Labels.Length != numBlocks || y.Labels.Length != numBlocks)
                throw new ArgumentException($"example '{x.Id}': labels for {x.Labels.Length} and {y.Labels.Length} blocks; the sets are for {numBlocks}");
            both++;
            if (x.BestPath!.AsSpan().SequenceEqual(y.BestPath)) identical++;
            for (int l = 0; l < numBlocks; l++)
                if (x.Labels[l] == y.Labels[l]) { blocksEqual++; equalByBlock![l]++; }
            blocks += numBlocks;
        }
        if (examples == 0)
            throw new ArgumentException("the two label sets share no example id (were they sampled with the same --seed? --search-seed changes only the search)");
        return new LabelAgreement(examples, both, one,
            both == 0 ? 0 : (double)identical / both,
            blocks == 0 ? 0 : (double)blocksEqual / blocks,
            equalByBlock?.Select(e => (double)e / both).ToArray() ?? []);
    }
}
