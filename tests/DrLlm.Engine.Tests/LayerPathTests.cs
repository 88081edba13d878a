using DrLlm.Engine.Model;

namespace DrLlm.Engine.Tests;

public class LayerPathTests
{
    [Fact]
    public void Default_path_runs_every_block_once()
    {
        var p = LayerPath.Default(4);
        Assert.Equal([0, 1, 2, 3], p.Steps);
        Assert.Equal([1, 1, 1, 1], p.BlockCounts());
    }

    [Fact]
    public void Skip_and_repeat_give_router_labels()
    {
        var p = LayerPath.Parse("0,1,1,3", 4);
        Assert.Equal([1, 2, 0, 1], p.BlockCounts());
        Assert.Equal(2, p.CommonPrefixLength(LayerPath.Parse("0 1 2 3", 4)));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("0,4", "step 1 is block 4")]
    [InlineData("0,2,1", "goes back")]
    [InlineData("0,0,0", "more than twice")]
    [InlineData("0,x", "not an integer")]
    [InlineData("-1", "step 0 is block -1")]
    public void Invalid_paths_name_the_problem(string text, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => LayerPath.Parse(text, 4));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Path_longer_than_twice_the_blocks_is_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => LayerPath.Create([0, 0, 1, 1, 1], 2));
        Assert.Contains("at most 2L", ex.Message);
    }

    [Fact]
    public void Labels_and_paths_convert_both_ways()
    {
        var p = LayerPath.FromBlockCounts([1, 2, 0, 1]);
        Assert.Equal(LayerPath.Parse("0,1,1,3", 4), p);
        Assert.Equal(3, p.DistinctBlocks());
        Assert.Contains("label 3 at block 1", Assert.Throws<ArgumentException>(() => LayerPath.FromBlockCounts([1, 3])).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => LayerPath.FromBlockCounts([0, 0])).Message);
    }

    [Fact]
    public void Skips_and_repeats_keep_the_rules()
    {
        var p = LayerPath.Parse("0,1,1,3", 4);
        Assert.Equal(LayerPath.Parse("0,3", 4), p.WithoutSteps(1, 2));
        Assert.Null(LayerPath.Parse("2", 4).WithoutSteps(0, 1)); // no path is empty
        Assert.Equal(LayerPath.Parse("0,0,1,1,3", 4), p.WithRepeat(0));
        Assert.Null(p.WithRepeat(1)); // block 1 already runs twice
        Assert.Null(p.WithRepeat(2));
        Assert.All(Enumerable.Range(0, 4), i => Assert.Null(LayerPath.Parse("0,0,1,1", 2).WithRepeat(i))); // 2L steps
        Assert.Throws<ArgumentOutOfRangeException>(() => p.WithoutSteps(3, 2));
    }
}
