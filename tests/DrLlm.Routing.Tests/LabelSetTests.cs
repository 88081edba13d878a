using DrLlm.Routing.Search;

namespace DrLlm.Routing.Tests;

/// <summary>What is done with a set of search results: the cap on fixes, and the agreement of two searches.</summary>
public class LabelSetTests
{
    private static ExampleSearchResult Result(string id, bool defaultCorrect, int[]? path, int numBlocks = 4) =>
        new(id, "t", null, "p", defaultCorrect, path, path is not null,
            path is null ? null : DrLlm.Engine.Model.LayerPath.Create(path, numBlocks).BlockCounts(), 10, 10, 0, 0, 0, "budget");

    [Fact]
    public void Fixes_beyond_the_share_are_left_out_in_input_order()
    {
        var results = new List<ExampleSearchResult>();
        for (int i = 0; i < 10; i++) results.Add(Result($"right-{i}", true, [0, 1, 3]));
        for (int i = 0; i < 10; i++) results.Add(Result($"fix-{i}", false, [0, 2, 3]));
        results.Add(Result("none", false, null));

        var capped = FixCap.Apply(results, 0.3); // 10 defaults right: 4 fixes make 4/14 = 29% ≤ 30%, a fifth 33%
        Assert.Equal(14, capped.Count);
        Assert.Equal(["fix-0", "fix-1", "fix-2", "fix-3"], capped.Where(r => !r.DefaultCorrect).Select(r => r.Id));
        Assert.Equal(10, FixCap.Apply(results, 0).Count);
        Assert.Equal(20, FixCap.Apply(results, 1).Count);
        Assert.Contains("[0, 1]", Assert.Throws<ArgumentException>(() => FixCap.Apply(results, 1.5)).Message);
    }

    [Fact]
    public void Agreement_counts_identical_paths_and_equal_block_labels_over_examples_kept_by_both()
    {
        ExampleSearchResult[] a = [Result("x", true, [0, 1, 3]), Result("y", true, [0, 1, 2, 3]), Result("z", false, null), Result("only-a", true, [0])];
        ExampleSearchResult[] b = [Result("y", true, [0, 1, 1, 2]), Result("x", true, [0, 1, 3]), Result("z", false, [0, 2])];
        var g = LabelAgreement.Compute(a, b);
        Assert.Equal((3, 2, 1), (g.Examples, g.KeptInBoth, g.KeptInOne));
        Assert.Equal(0.5, g.IdenticalPathShare);
        Assert.Equal(6 / 8.0, g.BlockAgreement); // y: labels 1,1,1,1 vs 1,2,1,0
        Assert.Equal([1, 0.5, 1, 0.5], g.BlockAgreementByBlock);
        Assert.Contains("share no example id", Assert.Throws<ArgumentException>(() => LabelAgreement.Compute(a, [Result("w", true, [0])])).Message);
    }
}
